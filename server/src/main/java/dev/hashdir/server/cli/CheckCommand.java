package dev.hashdir.server.cli;

import dev.hashdir.engine.check.CheckReport;
import dev.hashdir.engine.check.Finding;
import dev.hashdir.engine.check.StoreChecker;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code hashdir check}: offline verification of a store (see {@link StoreChecker}). Exit 0 clean,
 * 3 warnings only, 1 errors (or the store could not be checked: in use, missing), 2 bad usage.
 */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Verify a store offline, read-only: both meta slots, the page map, every reachable page"
                + " (checksum, ECC, structure), the counts and the free rows. Needs the store not in use.",
                "",
                "Exit codes: 0 clean; 3 warnings only (e.g. a corrected bit, a leaked page, a damaged fallback"
                        + " meta slot: the store is usable); 1 errors (the store is damaged), or it could not be"
                        + " checked (in use, missing); 2 bad usage."})
final class CheckCommand implements Callable<Integer> {

    static final int EXIT_WARNINGS = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", defaultValue = "./data", paramLabel = "DIR",
            description = "data directory (default: ${DEFAULT-VALUE})")
    Path data;

    @Option(names = "--verbose", description = "also print what was checked, phase by phase")
    boolean verbose;

    @Option(names = "--max-findings", defaultValue = "" + StoreChecker.DEFAULT_MAX_FINDINGS, paramLabel = "N",
            description = "findings to print; more are only counted (default: ${DEFAULT-VALUE})")
    int maxFindings;

    @Override
    public Integer call() throws Exception {
        if (maxFindings < 0) {
            throw new IllegalArgumentException("max findings must be >= 0: maxFindings=" + maxFindings);
        }
        CheckReport report = StoreChecker.check(data, maxFindings);
        PrintWriter out = spec.commandLine().getOut();
        out.println(report.summary());
        if (verbose) {
            for (String note : report.notes()) {
                out.println("  " + note);
            }
        }
        for (Finding f : report.findings()) {
            out.println(f);
        }
        if (report.droppedFindings() > 0) {
            out.println("... " + report.droppedFindings() + " more findings not shown (--max-findings)");
        }
        out.flush();
        return report.errors() > 0 ? HashdirCli.EXIT_FAILED : report.warnings() > 0 ? EXIT_WARNINGS : 0;
    }
}
