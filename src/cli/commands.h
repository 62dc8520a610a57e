#pragma once
// Each subcommand: parse its options, call one pipeline function, report. Returns the exit code.

namespace strata::cli {

int cmd_info(int argc, char** argv);
int cmd_render(int argc, char** argv);
int cmd_labels(int argc, char** argv);
int cmd_prepare(int argc, char** argv);
int cmd_synth(int argc, char** argv);

// Shared by the commands: applies --verbose/--quiet.
class Args;
void apply_log_options(const Args& args);

}  // namespace strata::cli
