package dev.hashdir.server.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class LogConfiguratorTest {

    @Test
    void theProcessLogsThroughIt() {
        // found through META-INF/services, as in every launch: no logback.xml is read
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getAppender("STDERR")).isInstanceOf(ConsoleAppender.class);
        ConsoleAppender<?> appender = (ConsoleAppender<?>) root.getAppender("STDERR");
        assertThat(appender.getTarget()).isEqualTo("System.err");
        assertThat(((PatternLayoutEncoder) appender.getEncoder()).getPattern()).isEqualTo(LogConfigurator.PATTERN);
    }

    @Test
    void writesOneLinePerEventWithTimeLevelThreadLoggerAndMessage() {
        LoggerContext context = new LoggerContext();
        LogConfigurator configurator = new LogConfigurator();
        configurator.setContext(context);
        assertThat(configurator.configure(context)).isEqualTo(LogConfigurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        Logger logger = context.getLogger("dev.hashdir.server.service.HashdirServer");
        ConsoleAppender<?> appender = (ConsoleAppender<?>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
        LoggingEvent event = new LoggingEvent("x", logger, Level.WARN, "ready: {}", null, new Object[]{"here"});
        event.setThreadName("main");
        String line = new String(((PatternLayoutEncoder) appender.getEncoder()).encode(event), StandardCharsets.UTF_8);
        assertThat(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d(\\d\\d)?) WARN  \\[main\\] "
                + "HashdirServer - ready: here\\R");
        context.stop();
    }

    @Test
    void theLevelIsTheVariablesOrInfo() {
        assertThat(LogConfigurator.level("DEBUG")).isEqualTo(Level.DEBUG);
        assertThat(LogConfigurator.level("warn")).isEqualTo(Level.WARN);
        assertThat(LogConfigurator.level(null)).isEqualTo(Level.INFO);
        assertThat(LogConfigurator.level("loud")).isEqualTo(Level.INFO);
    }

    @Test
    void aSystemPropertySetsTheRootLevel() {
        String before = System.getProperty(LogConfigurator.LEVEL_VARIABLE);
        System.setProperty(LogConfigurator.LEVEL_VARIABLE, "ERROR");
        try {
            LoggerContext context = new LoggerContext();
            LogConfigurator configurator = new LogConfigurator();
            configurator.setContext(context);
            configurator.configure(context);
            assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.ERROR);
            context.stop();
        } finally {
            if (before == null) {
                System.clearProperty(LogConfigurator.LEVEL_VARIABLE);
            } else {
                System.setProperty(LogConfigurator.LEVEL_VARIABLE, before);
            }
        }
    }
}
