// The suite is dominated by waiting on child processes (imagebuild and qemu-img on scratch images of their own), so
// two test classes at a time keep both cores busy; CI's limit is the wall time of this, the largest project. Classes
// that time a child process against a signal or a kill run alone ([DoNotParallelize]).
[assembly: Parallelize(Workers = 2, Scope = ExecutionScope.ClassLevel)]
