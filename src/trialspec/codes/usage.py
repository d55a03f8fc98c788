"""TS9xx: the command line: how trialspec was called, where it may write, and internal errors.

These are refusals (exit status 2), decided before any work is done, and the one message of
an unexpected failure (``internal-error``, exit status 70). See docs/reliability.md.
"""

from trialspec.codes import Code

CODES: tuple[Code, ...] = (
    Code("TS900", "usage-error",
         "trialspec was called in a way it cannot run: a missing file or folder, a bad option, an "
         "argument of the wrong kind.",
         "Nothing was checked, so nothing was found; exit status 2 tells a script it must be fixed.",
         "trialspec check protocol.yaml --data no-such-folder",
         "Read the message; `trialspec COMMAND --help` lists the arguments."),
    Code("TS901", "output-is-an-input",
         "`--output` or `--json` names a file the command reads: the protocol, a data file (any file "
         "of the data folder), the lock, or either side of a diff. Compared by resolved path and by "
         "inode, so a symlink or hard link to an input counts.",
         "Writing the report there would destroy the input it was computed from.",
         "trialspec lint p.yaml --format json --output p.yaml",
         "Name another file for the report, e.g. `--output p.report.json`."),
    Code("TS902", "output-not-writable",
         "The report cannot be written where `--output` or `--json` says: the target is a folder, its "
         "folder is a file or is not writable, or a device refuses writing.",
         "Checked before the work starts, so a long check does not end in a lost report.",
         "trialspec check p.yaml --data d --output p.yaml/report.json  # p.yaml is a file",
         "Name a file in a folder you can write to; a missing folder is created."),
    Code("TS903", "output-named-twice",
         "Two outputs of one command name the same file (e.g. `--output r.json --json r.json`).",
         "One report would silently replace the other.",
         "trialspec check p.yaml --data d --format sarif --output r.json --json r.json",
         "Give each output its own file."),
    Code("TS904", "output-write-failed",
         "Writing the report failed after it was computed: the disk is full, the file system is "
         "read-only, or the device went away.",
         "No partial report is left behind (the temporary file is removed), and the old file, if any, "
         "is kept.",
         "trialspec check p.yaml --data d --output /full-disk/report.json",
         "Free space or choose another place, and run the command again."),
    Code("TS905", "lock-data-outside",
         "A lock file names a data folder that is not inside the lock's own folder (an absolute path, "
         "or one that climbs out with `..`), and no `--data` was given.",
         "A lock is data, not instructions: verify reads only the folder the user names, or one inside "
         "the lock's folder, never a place a lock file chooses (such as /etc).",
         '"data_dir": "/etc"',
         "Give the data folder yourself: `trialspec verify PROTOCOL --data DIR`."),
    Code("TS906", "input-unreadable",
         "An input file cannot be read: it is a folder, a symlink loop, not readable, or larger than "
         "trialspec reads (docs/reliability.md lists the limits).",
         "A file that cannot be read cannot be checked.",
         "trialspec lint loop.yaml  # loop.yaml -> loop.yaml",
         "Point trialspec at the real file, or make it readable."),
    Code("TS907", "engine-unavailable",
         "`--engine` (or `engine=` in the Python API) names an engine trialspec does not have, or one "
         "whose package is not installed (DuckDB, or pyspark with a Java runtime for spark).",
         "Every engine gives the same results; a run on an engine that cannot start would give none.",
         "trialspec check p.yaml --data d --engine spark  # pyspark not installed",
         "Choose pandas, duckdb, spark or auto (docs/engine.md, \"The SQL engines\"), or install the "
         "package the message names."),
    Code("TS910", "internal-error",
         "trialspec itself failed: an unexpected error that is a bug, not a problem with your input.",
         "You are told so (with exit status 70), instead of a traceback that looks like your fault, or "
         "a silent wrong result.",
         "trialspec: internal error[TS910]: ZeroDivisionError ...",
         "Report it at the address the message gives, with the command line and (if you can share "
         "them) the inputs; run the command again with `--debug` to see the traceback."),
)
