/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands of the khugetrace binary; each returns the process exit status. */
#ifndef KHT_COMMANDS_H
#define KHT_COMMANDS_H

int cmd_probe(int argc, char **argv);
int cmd_collapse(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_record(int argc, char **argv);
int cmd_races(int argc, char **argv);
int cmd_check_kernel(int argc, char **argv);
int cmd_report(int argc, char **argv);

struct kht_opts;
/*
 * The options of a tracing command (its operands are a command to run):
 * -1 to go on, else the exit status to return at once (2 after one sentence
 * on stderr; 0 after --help, printed by usage). refused_why: why options the
 * command does not take are refused (NULL: the generic sentence).
 */
int kht_cmd_opts(int argc, char **argv, const char *cmd, unsigned long long allowed,
		 const char *refused_why, struct kht_opts *o, void (*usage)(void));

#endif
