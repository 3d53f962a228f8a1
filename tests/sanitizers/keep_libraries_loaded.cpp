// Preloaded into the tests of the sanitizer build (LD_PRELOAD): dlclose() keeps libraries
// loaded. The Vulkan loader unloads the driver and the validation layer when an instance is
// destroyed; LeakSanitizer, which reports at exit, could then name neither the library of a
// leak's frames nor match it against tests/sanitizers/lsan.supp. Built without sanitizers so
// that it can be preloaded into any process a test starts.
extern "C" int dlclose(void*) { return 0; }
