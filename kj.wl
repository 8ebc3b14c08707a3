/dev/fd/3: line 27: ./khugetrace-workload: No such file or directory
