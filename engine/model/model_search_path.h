#pragma once
// Where models and vocabularies are looked for when the user names none: one rule for the
// command line, the GUI's model list and the vocabularies of synthetic models.
#include <string>
#include <vector>

namespace kvs {

// Existing folders, each once (canonical paths), in this order:
//   <current_dir>/../shared/models and <current_dir>/shared/models;
//   ../shared/models beside the executable's folder and each of its 5 parents (an executable in
//   a build folder of a checkout finds the checkout's ../shared/models);
//   every folder of model_path_env ($KVSCOPE_MODEL_PATH, separated by ':').
// Empty arguments are skipped.
std::vector<std::string> model_search_dirs(const std::string& current_dir, const std::string& executable_dir,
                                           const std::string& model_path_env);

// model_search_dirs() for this process: its current directory, the folder of /proc/self/exe and
// $KVSCOPE_MODEL_PATH.
std::vector<std::string> default_model_search_dirs();

}  // namespace kvs
