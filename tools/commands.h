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

#endif
