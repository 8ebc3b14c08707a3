/dev/fd/3: line 26: ./khugetrace-workload: No such file or directory
