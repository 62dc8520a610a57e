#pragma once
// Each subcommand: parse its options, call one pipeline function, report. Returns the exit code.

namespace strata::cli {

int cmd_info(int argc, char** argv);
int cmd_render(int argc, char** argv);
int cmd_labels(int argc, char** argv);
int cmd_prepare(int argc, char** argv);
int cmd_predict(int argc, char** argv);
int cmd_synth(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_evaluate(int argc, char** argv);
int cmd_change(int argc, char** argv);
int cmd_stats(int argc, char** argv);
int cmd_import_model(int argc, char** argv);
int cmd_serve(int argc, char** argv);

// Shared by the commands: parses argv[2..], applies --verbose/--quiet; false when --help was
// asked (the usage is then printed and the command returns 0).
class Args;
bool parse_command_line(Args& args, int argc, char** argv);

}  // namespace strata::cli
