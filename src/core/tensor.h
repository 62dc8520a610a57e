#pragma once
// A dense, row-major, owning array with an int64 shape. Deliberately plain: layers that
// need views, arenas or device memory build them on top of Shape and raw pointers.
#include <cstdint>
#include <string>
#include <vector>

#include "core/checked.h"

namespace strata {

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) { validate(); }
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) { validate(); }

  int rank() const { return static_cast<int>(dims_.size()); }
  int64_t operator[](int i) const { return dims_.at(static_cast<size_t>(i)); }
  const std::vector<int64_t>& dims() const { return dims_; }
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : dims_) n = checked_mul(n, d);
    return n;
  }
  bool operator==(const Shape&) const = default;
  std::string str() const {
    std::string s = "[";
    for (size_t i = 0; i < dims_.size(); ++i) s += (i ? ", " : "") + std::to_string(dims_[i]);
    return s + "]";
  }

 private:
  void validate() const {
    for (int64_t d : dims_)
      if (d < 0) throw Error("negative dimension in shape");
  }
  std::vector<int64_t> dims_;
};

template <class T>
class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(Shape shape, T fill = T{}) : shape_(std::move(shape)), data_(static_cast<size_t>(shape_.numel()), fill) {}

  const Shape& shape() const { return shape_; }
  int64_t numel() const { return static_cast<int64_t>(data_.size()); }
  T* data() { return data_.data(); }
  const T* data() const { return data_.data(); }
  T& operator[](int64_t i) { return data_[static_cast<size_t>(i)]; }
  const T& operator[](int64_t i) const { return data_[static_cast<size_t>(i)]; }
  std::vector<T>& vec() { return data_; }
  const std::vector<T>& vec() const { return data_; }

 private:
  Shape shape_;
  std::vector<T> data_;
};

using TensorF32 = Tensor<float>;
using TensorU16 = Tensor<uint16_t>;
using TensorU8 = Tensor<uint8_t>;

}  // namespace strata
