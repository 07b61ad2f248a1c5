package dev.hashdir.server.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code serve}'s parse without picocli ({@link ServeCommand#parseDirect}) against picocli's own. */
class ServeCommandTest {

    /** Argument lists both parse: the direct parse must give exactly picocli's fields. */
    private static final List<String[]> PLAIN = List.of(
            new String[]{"serve"},
            new String[]{"serve", "--data", "/tmp/d"},
            new String[]{"serve", "--data=/tmp/d", "--bind", "tcp://127.0.0.1:5555", "--http", "127.0.0.1:8080"},
            new String[]{"serve", "--durability", "none", "--admin-token", "secret", "--config", "a/b.properties"},
            new String[]{"serve", "--config=x.properties", "--durability=async", "--http=0.0.0.0:1",
                    "--bind=tcp://*:1", "--admin-token=t=v", "--data=d"});

    /** Argument lists the direct parse leaves to picocli (help, errors, other commands, unusual forms). */
    private static final List<String[]> OTHER = List.of(
            new String[]{},
            new String[]{"init", "--data", "d"},
            new String[]{"--version"},
            new String[]{"serve", "--help"},
            new String[]{"serve", "-h"},
            new String[]{"serve", "-V"},
            new String[]{"serve", "--data"},
            new String[]{"serve", "--data", "a", "--data", "b"},
            new String[]{"serve", "--data", "--bind"},
            new String[]{"serve", "--data="},
            new String[]{"serve", "--nope", "x"},
            new String[]{"serve", "@args.txt"},
            new String[]{"serve", "--data", "@args.txt"},
            new String[]{"serve", "positional"},
            new String[]{"serve", "--config", "a\0b"});

    @Test
    void plainServeArgumentsGiveWhatPicocliGives() {
        for (String[] args : PLAIN) {
            ServeCommand direct = ServeCommand.parseDirect(args);
            assertThat(direct).as(Arrays.toString(args)).isNotNull();
            CommandLine.ParseResult parsed = HashdirCli.commandLine().parseArgs(args);
            ServeCommand viaPicocli = (ServeCommand) parsed.subcommand().commandSpec().userObject();
            assertThat(fields(direct)).as(Arrays.toString(args)).isEqualTo(fields(viaPicocli));
        }
    }

    @Test
    void everythingElseIsLeftToPicocli() {
        for (String[] args : OTHER) {
            assertThat(ServeCommand.parseDirect(args)).as(Arrays.toString(args)).isNull();
        }
    }

    @Test
    void aFailingServeExitsAsPicocliWouldWithTheSameMessage() {
        // a bad setting: the handler's usage exit and message, as through picocli
        String[] args = {"serve", "--data", "/tmp/hashdir-serve-direct-unused", "--durability", "sometimes"};
        StringWriter err = new StringWriter();
        CommandLine cli = HashdirCli.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int viaPicocli = cli.execute(args);
        assertThat(viaPicocli).isEqualTo(HashdirCli.EXIT_USAGE);
        StringWriter directErr = new StringWriter();
        assertThat(Main.serve(ServeCommand.parseDirect(args), new PrintWriter(directErr, true)))
                .isEqualTo(viaPicocli);
        assertThat(err.toString()).startsWith("hashdir serve: ").contains("sync, async or none");
        assertThat(directErr.toString()).isEqualTo(err.toString());
    }

    private static List<Object> fields(ServeCommand c) {
        return Arrays.asList(c.data, c.bind, c.http, c.durability, c.adminToken, c.config == null ? null : c.config);
    }
}
