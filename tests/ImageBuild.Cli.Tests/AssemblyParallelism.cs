// The suite is dominated by waiting on child processes (imagebuild and qemu-img on scratch images of their own), so
// two test classes at a time keep both cores busy; CI's limit is the wall time of this, the largest project. Classes
// run alone ([DoNotParallelize]) when they time a child process against a signal or a kill, or run imagebuild
// in-process in a working directory of their own (the current directory belongs to the whole process).
[assembly: Parallelize(Workers = 2, Scope = ExecutionScope.ClassLevel)]
