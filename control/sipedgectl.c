/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright (c) 2026 The sipedge authors
 *
 * sipedgectl.c - the operator CLI: command table, option parsing, help.
 *
 * A command is one row of cmds[] below. Commands that talk to
 * sipedge-control (status, stats, rules, bans, backends, ...) are added as
 * rows here with their handler in a ctl_<name>.c of their own; the
 * dispatcher, the option checks, the help text and the exit statuses stay
 * the same for all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#ifndef SIPEDGE_VERSION
#define SIPEDGE_VERSION "unknown" /* built outside meson */
#endif

static int cmd_help(const struct ctl_cmd *cmd, const struct ctl_args *a);
static int cmd_version(const struct ctl_cmd *cmd, const struct ctl_args *a);

static const char remote_more[] =
	"Asks sipedge-control over its control socket (--socket, default\n"
	"/run/sipedge/control.sock; see docs/control.md) and prints the answer as\n"
	"tables, or with --json the reply as one JSON line.\n"
	"\n"
	"Exit status: 0 done, 1 refused by sipedge-control (the message says why),\n"
	"2 usage error or no answer (socket missing, permission denied, timeout).\n";

static const char backends_more[] =
	"Without operand or with \"list\": every backend of every node, its health\n"
	"(probes), admin state and weight in force, what sipedge-control wants in\n"
	"force (WANTED), and its requests. enable, disable, drain and weight change\n"
	"what is wanted and push it to every node that has the backend (or --node's\n"
	"only); a node that is not connected gets it when it reconnects (pending).\n"
	"drain: no new dialogs; in-dialog requests still reach it. WEIGHT: 1..65535.\n"
	"\n"
	"Exit status: 0 done (in force or pending everywhere), 1 refused by\n"
	"sipedge-control or by a dataplane, 2 usage error or no answer.\n";

static const char watch_more[] =
	"Redraws the stats of every node (or --node's) every --interval-ms, like\n"
	"top: ports, workers, the top drop reasons and replies, backends. q or\n"
	"Ctrl-C stops it; --count N stops after N frames. On a terminal the screen\n"
	"is cleared between frames; otherwise frames follow each other.\n";

static const char inspect_more[] =
	"Reads one SIP message (a UDP datagram, or with --stream the head of a\n"
	"TCP/TLS stream) from FILE, or from standard input for \"-\", parses it\n"
	"with the dataplane's parser and prints its start line, parsed\n"
	"Request-URI, Vias, From/To/Contact, the fields the parser checks, the\n"
	"full header index and a preview of the body. Non-printable bytes are\n"
	"shown as \\xNN (\\t \\r \\n for those). A malformed message is reported\n"
	"with the parser's error, its byte offset and the offending line.\n"
	"Inputs over 65535 bytes are refused before parsing.\n"
	"\n"
	"Exit status: 0 well-formed, 1 malformed, 2 usage or I/O error.\n";

static const char rules_more[] =
	"  rules load FILE... [--shadow]   parse, compile and push to every node as a\n"
	"                                  new version (two-phase: all or none)\n"
	"  rules list                      versions kept; what each node has in force\n"
	"  rules show [ID] [--version V]   rules with id, priority, action, place, text\n"
	"  rules diff [FROM [TO]]          added, removed, changed (default: the live\n"
	"                                  version against the one before it)\n"
	"  rules rollback [V]              an older version's rules in force again, as a\n"
	"                                  new version (default: the one before)\n"
	"  rules unload --shadow           take the shadow ruleset off every node\n"
	"  rules stats [--node NAME]       hits per rule, per node and per worker\n"
	"  rules check FILE...             parse and compile here: no daemon needed\n"
	"\n"
	"FILEs are made absolute before they are sent. A refused load prints every\n"
	"error as FILE:LINE:COL: what is wrong, and the ruleset in force stays.\n"
	"load and rollback wait up to 600 s for the reply by default (--timeout).\n"
	"\n"
	"Exit status: 0 done (check: no error), 1 refused (check: errors found),\n"
	"2 usage error or no answer (check: a file that cannot be read).\n";

static const char explain_more[] =
	"Sends one SIP message (FILE, or standard input for \"-\"; at most 65535\n"
	"bytes) to sipedge-control, which runs it as the dataplane would: manual\n"
	"bans, the SIP parser with the node's limits, then the live ruleset (and the\n"
	"shadow one beside it). Prints the decision (forward, drop, reject CODE,\n"
	"ban) and every rule that matches: the one that decided, those counted, those\n"
	"not reached. --json prints the reply: its \"action\" is forward, drop,\n"
	"reject or ban.\n"
	"\n"
	"Exit status: 0 answered (whatever the decision), 1 refused, 2 usage error\n"
	"or no answer.\n";

static const char bans_more[] =
	"  bans list [--limit N]               manual bans, and each node's dynamic bans\n"
	"                                      (made by ban rules)\n"
	"  bans add PREFIX [--for DURATION]    ban an address or prefix on every node\n"
	"                                      (192.0.2.7, 192.0.2.0/24, 2001:db8::/32)\n"
	"  bans remove PREFIX                  remove a manual ban, or lift a dynamic\n"
	"                                      ban of one address on every node\n"
	"\n"
	"DURATION: 90, 90s, 15m, 2h, 7d (1 s to 365 d). Manual bans are kept by\n"
	"sipedge-control and pushed again to a node that restarts.\n"
	"\n"
	"Exit status: 0 done (in force or pending everywhere), 1 refused by\n"
	"sipedge-control or a dataplane, 2 usage error or no answer.\n";

static const char state_more[] =
	"  state [show] [--node NAME] [--limit N]   each node's state versions (wanted,\n"
	"                                           in force, highest, kept for a\n"
	"                                           rollback), then the history of\n"
	"                                           state changes: who, when, what\n"
	"  state rollback [--node NAME]             undo the newest change (backends,\n"
	"                                           manual bans) and put the state\n"
	"                                           before in force on every node\n"
	"\n"
	"A rollback undoes the newest change not rolled back yet; a second one walks\n"
	"further back (to undo a rollback, make the change again). Each node gets the\n"
	"state back by the dataplane's own state.rollback when it still keeps exactly\n"
	"that state, otherwise as a new version; one line per node says which. With\n"
	"--node, only that node's part of the newest change there is undone (a ban\n"
	"change is every node's: roll it back without --node).\n"
	"\n"
	"Exit status: 0 done (in force or pending everywhere), 1 refused (nothing to\n"
	"roll back, a push in flight, a node refused), 2 usage error or no answer.\n";

/* The commands, in the order help lists them. */
static const struct ctl_cmd cmds[] = {
	{
		.name = "help",
		.operands = "[COMMAND]",
		.min_args = 0,
		.max_args = 1,
		.help = "list the commands, or describe one",
		.run = cmd_help,
	},
	{
		.name = "version",
		.operands = "",
		.min_args = 0,
		.max_args = 0,
		.help = "print the version",
		.run = cmd_version,
	},
	{
		.name = "inspect",
		.operands = "FILE|-",
		.min_args = 1,
		.max_args = 1,
		.opts = ctl_inspect_opts,
		.help = "parse one SIP message and print its fields",
		.more = inspect_more,
		.run = ctl_inspect_run,
	},
	{
		.name = "status",
		.operands = "",
		.opts = ctl_remote_opts,
		.help = "sipedge-control: version, uptime, nodes up, its own counters",
		.more = remote_more,
		.run = ctl_status_run,
	},
	{
		.name = "nodes",
		.operands = "",
		.opts = ctl_node_opts,
		.help = "each dataplane: link, pid, state versions, connects, last error",
		.more = remote_more,
		.run = ctl_nodes_run,
	},
	{
		.name = "stats",
		.operands = "",
		.opts = ctl_stats_opts,
		.help = "counters and rates: events, ports, workers, drop reasons, backends",
		.more = remote_more,
		.run = ctl_stats_run,
	},
	{
		.name = "watch",
		.operands = "",
		.opts = ctl_watch_opts,
		.help = "stats redrawn every second, like top (q or Ctrl-C to stop)",
		.more = watch_more,
		.run = ctl_watch_run,
	},
	{
		.name = "backends",
		.operands = "[list|enable|disable|drain|weight] [NAME] [WEIGHT]",
		.min_args = 0,
		.max_args = 3,
		.opts = ctl_node_opts,
		.help = "list backends, or enable, disable, drain one or set its weight",
		.more = backends_more,
		.run = ctl_backends_run,
	},
	{
		.name = "config",
		.operands = "reload",
		.min_args = 1,
		.max_args = 1,
		.opts = ctl_remote_opts,
		.help = "re-read sipedge-control's config file",
		.more = remote_more,
		.run = ctl_config_run,
	},
	{
		.name = "rules",
		.operands = "load|list|show|diff|rollback|unload|stats|check [ARGS]",
		.min_args = 1,
		.max_args = 65,
		.opts = ctl_rules_opts,
		.help = "rulesets: load, list, show, diff, roll back, unload, hits; check offline",
		.more = rules_more,
		.run = ctl_rules_run,
	},
	{
		.name = "explain",
		.operands = "FILE|-",
		.min_args = 1,
		.max_args = 1,
		.opts = ctl_explain_opts,
		.help = "what the gateway would do with a SIP message, and which rules match",
		.more = explain_more,
		.run = ctl_explain_run,
	},
	{
		.name = "bans",
		.operands = "list|add|remove [PREFIX]",
		.min_args = 1,
		.max_args = 2,
		.opts = ctl_bans_opts,
		.help = "bans: list manual and dynamic ones, add or remove one",
		.more = bans_more,
		.run = ctl_bans_run,
	},
	{
		.name = "state",
		.operands = "[show|rollback]",
		.min_args = 0,
		.max_args = 1,
		.opts = ctl_state_opts,
		.help = "state versions per node, the history of state changes; roll one back",
		.more = state_more,
		.run = ctl_state_run,
	},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static const struct ctl_cmd *cmd_find(const char *name)
{
	unsigned i;

	for (i = 0; i < NCMDS; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static unsigned opts_count(const struct ctl_cmd *cmd)
{
	unsigned n = 0;

	while (cmd->opts != NULL && cmd->opts[n].name != NULL)
		n++;
	return n;
}

/* "[--json] [--max-msg N] FILE|-", from the command's own tables. */
static void print_synopsis(FILE *f, const struct ctl_cmd *cmd)
{
	unsigned i, n = opts_count(cmd);

	fprintf(f, "usage: sipedgectl %s", cmd->name);
	for (i = 0; i < n; i++) {
		if (cmd->opts[i].arg != NULL)
			fprintf(f, " [--%s %s]", cmd->opts[i].name, cmd->opts[i].arg);
		else
			fprintf(f, " [--%s]", cmd->opts[i].name);
	}
	if (cmd->operands[0] != '\0')
		fprintf(f, " %s", cmd->operands);
	fputc('\n', f);
}

static void print_cmd_help(FILE *f, const struct ctl_cmd *cmd)
{
	unsigned i, n = opts_count(cmd);

	print_synopsis(f, cmd);
	fprintf(f, "\n%s - %s\n", cmd->name, cmd->help);
	if (cmd->more != NULL)
		fprintf(f, "\n%s", cmd->more);
	if (n == 0)
		return;
	fputs("\noptions:\n", f);
	for (i = 0; i < n; i++) {
		const struct ctl_opt *o = &cmd->opts[i];
		char left[48];

		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg != NULL ? " " : "",
			 o->arg != NULL ? o->arg : "");
		fprintf(f, "  %-18s %s", left, o->help);
		if (o->sdef != NULL && o->sdef[0] != '\0')
			fprintf(f, " (default %s)", o->sdef);
		else if (o->sdef != NULL)
			;
		else if (o->arg != NULL)
			fprintf(f, " (default %u, range %u..%u)", o->def, o->min, o->max);
		fputc('\n', f);
	}
}

static void print_usage(FILE *f)
{
	unsigned i;

	fputs("usage: sipedgectl COMMAND [OPTIONS] [OPERANDS]\n"
	      "       sipedgectl [--socket PATH] [--timeout SECONDS] [--json] COMMAND ...\n"
	      "       sipedgectl --help | --version\n"
	      "\ncommands:\n",
	      f);
	for (i = 0; i < NCMDS; i++)
		fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].help);
	fputs("\n`sipedgectl help COMMAND` describes a command and its options.\n"
	      "Exit status: 0 success, 1 refused (inspect: malformed message),\n"
	      "2 usage or I/O error.\n",
	      f);
}

static int cmd_help(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	const struct ctl_cmd *c;

	(void)cmd;
	if (a->nargs == 0) {
		print_usage(stdout);
		return CTL_EXIT_OK;
	}
	c = cmd_find(a->args[0]);
	if (c == NULL) {
		fprintf(stderr,
			"sipedgectl: help: unknown command \"%s\" "
			"(`sipedgectl help` lists them)\n",
			a->args[0]);
		return CTL_EXIT_USAGE;
	}
	print_cmd_help(stdout, c);
	return CTL_EXIT_OK;
}

static int cmd_version(const struct ctl_cmd *cmd, const struct ctl_args *a)
{
	(void)cmd;
	(void)a;
	printf("sipedgectl %s\n", SIPEDGE_VERSION);
	return CTL_EXIT_OK;
}

/* Decimal digits only: no sign, no spaces, no hex, so that "-1", " 5" and
 * "0x10" are refused instead of being read as something else.
 * Returns 0, -EINVAL (not a number) or -ERANGE (over 2^32-1). */
static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX) {
			/* keep checking that the rest are digits */
			while (*++s != '\0')
				if (*s < '0' || *s > '9')
					return -EINVAL;
			return -ERANGE;
		}
	}
	*out = (uint32_t)v;
	return 0;
}

static int opt_value(const struct ctl_cmd *cmd, const struct ctl_opt *o, const char *val,
		     uint32_t *out)
{
	int rc = parse_u32(val, out);

	if (rc == -EINVAL) {
		fprintf(stderr,
			"sipedgectl %s: --%s \"%s\" is not a number "
			"in [%u, %u]\n",
			cmd->name, o->name, val, o->min, o->max);
		return rc;
	}
	if (rc == -ERANGE || *out < o->min || *out > o->max) {
		fprintf(stderr,
			"sipedgectl %s: --%s \"%s\" is out of range "
			"[%u, %u]\n",
			cmd->name, o->name, val, o->min, o->max);
		return -ERANGE;
	}
	return 0;
}

/* One "--name", "--name VALUE" or "--name=VALUE" at argv[*i]; advances *i
 * past a separate value. Returns 0 or -EINVAL (message printed). */
static int parse_opt(const struct ctl_cmd *cmd, int argc, char **argv, int *i, struct ctl_args *a)
{
	const char *arg = argv[*i] + 2;
	const char *eq = strchr(arg, '=');
	size_t nlen = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	unsigned k, n = opts_count(cmd);
	const struct ctl_opt *o = NULL;
	const char *val;

	for (k = 0; k < n; k++) {
		if (strlen(cmd->opts[k].name) == nlen &&
		    strncmp(cmd->opts[k].name, arg, nlen) == 0) {
			o = &cmd->opts[k];
			break;
		}
	}
	if (o == NULL) {
		fprintf(stderr, "sipedgectl %s: unknown option \"%s\"\n", cmd->name, argv[*i]);
		return -EINVAL;
	}
	if (o->arg == NULL) {
		if (eq != NULL) {
			fprintf(stderr,
				"sipedgectl %s: --%s takes no value "
				"(got \"%s\")\n",
				cmd->name, o->name, eq + 1);
			return -EINVAL;
		}
		a->set[k] = true;
		a->val[k] = 1;
		return 0;
	}
	if (eq != NULL) {
		val = eq + 1;
	} else if (*i + 1 < argc) {
		val = argv[++*i];
	} else if (o->sdef != NULL) {
		fprintf(stderr, "sipedgectl %s: --%s needs a value %s\n", cmd->name, o->name,
			o->arg);
		return -EINVAL;
	} else {
		fprintf(stderr,
			"sipedgectl %s: --%s needs a value %s in "
			"[%u, %u]\n",
			cmd->name, o->name, o->arg, o->min, o->max);
		return -EINVAL;
	}
	if (o->sdef != NULL) {
		if (val[0] == '\0') {
			fprintf(stderr, "sipedgectl %s: --%s needs a non-empty %s\n", cmd->name,
				o->name, o->arg);
			return -EINVAL;
		}
		a->str[k] = val;
	} else if (opt_value(cmd, o, val, &a->val[k]) < 0) {
		return -EINVAL;
	}
	a->set[k] = true;
	return 0;
}

/* Splits argv (the words after the command name) into options and
 * operands, moving the operands to the front of argv as getopt does.
 * Returns 0, 1 when the user asked for this command's help, or -EINVAL
 * (message printed). */
static int parse_args(const struct ctl_cmd *cmd, int argc, char **argv, struct ctl_args *a)
{
	bool opts_done = false;
	int i, nops = 0;

	memset(a, 0, sizeof(*a));
	for (i = 0; i < (int)opts_count(cmd); i++)
		a->str[i] = cmd->opts[i].sdef;
	for (i = 0; i < argc; i++) {
		char *w = argv[i];

		if (opts_done || w[0] != '-' || strcmp(w, "-") == 0) {
			argv[nops++] = w; /* nops <= i: nothing unread is lost */
			continue;
		}
		if (strcmp(w, "--") == 0) {
			opts_done = true;
		} else if (strcmp(w, "--help") == 0 || strcmp(w, "-h") == 0) {
			return 1;
		} else if (w[1] != '-') {
			fprintf(stderr, "sipedgectl %s: unknown option \"%s\"\n", cmd->name, w);
			return -EINVAL;
		} else if (parse_opt(cmd, argc, argv, &i, a) < 0) {
			return -EINVAL;
		}
	}
	if ((unsigned)nops < cmd->min_args || (unsigned)nops > cmd->max_args) {
		if (cmd->min_args == cmd->max_args)
			fprintf(stderr,
				"sipedgectl %s: expected %u operand%s "
				"(%s), got %d\n",
				cmd->name, cmd->min_args, cmd->min_args == 1 ? "" : "s",
				cmd->operands, nops);
		else
			fprintf(stderr,
				"sipedgectl %s: expected %u to %u "
				"operands (%s), got %d\n",
				cmd->name, cmd->min_args, cmd->max_args, cmd->operands, nops);
		return -EINVAL;
	}
	a->nargs = (unsigned)nops;
	a->args = argv;
	return 0;
}

/* Words of the options given before the command ("sipedgectl --socket S
 * stats", as other CLIs take them): the remote ones every command that
 * asks sipedge-control has (ctl_remote_opts). remote_opt: how
 * many words w takes (0: not one of them). leading_opts: how many words
 * they take before the command; other words stop the count; 0 when no
 * command follows them. */
static int remote_opt(const char *w)
{
	if (strncmp(w, "--", 2) != 0)
		return 0;
	for (const struct ctl_opt *o = ctl_remote_opts; o->name != NULL; o++) {
		size_t n = strlen(o->name);

		if (strncmp(w + 2, o->name, n) != 0)
			continue;
		if (w[2 + n] == '\0')
			return o->arg != NULL ? 2 : 1; /* a value takes the next word */
		if (w[2 + n] == '=' && o->arg != NULL)
			return 1;
	}
	return 0;
}

static int leading_opts(int argc, char **argv)
{
	int i = 1, n;

	while (i < argc && (n = remote_opt(argv[i])) > 0 && i + n <= argc)
		i += n;
	return i < argc && i > 1 && argv[i][0] != '-' ? i - 1 : 0;
}

static int run(int argc, char **argv)
{
	const struct ctl_cmd *cmd;
	struct ctl_args a;
	int rc, lead;

	if (argc < 2) {
		print_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	/* options first: moved after the command name, where each command
	 * parses its options (one that does not take them says so) */
	if ((lead = leading_opts(argc, argv)) > 0) {
		char *w = argv[1 + lead];

		memmove(&argv[2], &argv[1], (size_t)lead * sizeof(*argv));
		argv[1] = w;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		cmd = cmd_find("help");
	else if (strcmp(argv[1], "--version") == 0)
		cmd = cmd_find("version");
	else
		cmd = cmd_find(argv[1]);
	if (cmd == NULL) {
		if (remote_opt(argv[1]) > 0)
			fprintf(stderr,
				"sipedgectl: no command after the options (\"%s\" ...): "
				"sipedgectl [--socket PATH] [--timeout SECONDS] [--json] COMMAND "
				"(`sipedgectl help` lists the commands)\n",
				argv[1]);
		else if (argv[1][0] == '-')
			fprintf(stderr,
				"sipedgectl: unknown option \"%s\" "
				"(`sipedgectl help` lists the commands)\n",
				argv[1]);
		else
			fprintf(stderr,
				"sipedgectl: unknown command \"%s\" "
				"(`sipedgectl help` lists the commands)\n",
				argv[1]);
		return CTL_EXIT_USAGE;
	}
	rc = parse_args(cmd, argc - 2, argv + 2, &a);
	if (rc == 1) {
		print_cmd_help(stdout, cmd);
		return CTL_EXIT_OK;
	}
	if (rc < 0) {
		print_synopsis(stderr, cmd);
		return CTL_EXIT_USAGE;
	}
	return cmd->run(cmd, &a);
}

int main(int argc, char **argv)
{
	int rc = run(argc, argv);

	/* A full disk or a closed pipe must not pass for success. A command
	 * that already failed (status 2) has said why. */
	if ((fflush(stdout) == EOF || ferror(stdout)) && rc != CTL_EXIT_USAGE) {
		fprintf(stderr, "sipedgectl: stdout: %s\n", strerror(errno > 0 ? errno : EIO));
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}
