package dev.hashdir.server.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The logging set-up of every hashdir process, in code (found by logback through
 * {@code META-INF/services}): one line per event on stderr (stdout is for command output), at the
 * level {@code HASHDIR_LOG_LEVEL} names (a system property or the environment; {@code INFO} when
 * unset or not a level). The same as a {@code logback.xml} would say, without logback's XML
 * configurator: parsing one cost a freshly started server 80 to 90 ms of its start.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    /** The variable (system property, then environment) with the root level. */
    public static final String LEVEL_VARIABLE = "HASHDIR_LOG_LEVEL";
    /** ISO-8601 time with milliseconds and zone, level, thread, logger's simple name, message. */
    public static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} %-5level [%thread] %logger{0} - %msg%n";

    public LogConfigurator() {
        // found and made by logback's ServiceLoader
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("STDERR");
        appender.setTarget("System.err");
        appender.setEncoder(encoder);
        appender.start();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(level(System.getProperty(LEVEL_VARIABLE, System.getenv(LEVEL_VARIABLE))));
        root.addAppender(appender);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** The level {@code name} names (any case), or {@code INFO}. */
    static Level level(String name) {
        return Level.toLevel(name, Level.INFO);
    }
}
