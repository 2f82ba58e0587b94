package dev.cortado.cli;

import java.io.PrintStream;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A progress bar on stderr for long work, shown only when a person watches: whenever stderr is a
 * terminal (the launcher tells, as {@code cortado.stderr.tty}; stdout may be redirected), off with
 * --quiet. Its total is known where the backend tells ({@link DbSize}); it shows the rate from the
 * start and ends once, at 100%.
 */
final class Progress implements AutoCloseable {
  private static final Progress OFF = new Progress(null);

  private final ProgressBar bar;

  private Progress(ProgressBar bar) {
    this.bar = bar;
  }

  /** Progress that draws nothing. */
  static Progress off() {
    return OFF;
  }

  /**
   * A bar for {@code task} with {@code max} steps ({@code -1} when unknown), or a silent one when
   * progress is off for this command.
   */
  static Progress start(CommandSpec spec, String task, long max, String unit) {
    if (!enabled(spec)) {
      return OFF;
    }
    return start(System.err, task, max, unit);
  }

  /** A bar that always draws on {@code stream}. */
  static Progress start(PrintStream stream, String task, long max, String unit) {
    ProgressBar bar =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(max)
            .setUnit(unit.equals("B") ? " MB" : " " + unit, unit.equals("B") ? 1_000_000 : 1)
            .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
            .setUpdateIntervalMillis(100)
            .showSpeed()
            .setConsumer(new ConsoleProgressBarConsumer(stream))
            .build();
    return new Progress(bar);
  }

  /** True when this command should draw bars. */
  static boolean enabled(CommandSpec spec) {
    if (Main.quiet(spec)) {
      return false;
    }
    String forced = System.getProperty("cortado.progress", "");
    if (forced.equals("always")) {
      return true;
    }
    if (forced.equals("never")) {
      return false;
    }
    String tty = System.getProperty("cortado.stderr.tty");
    if (tty != null) {
      return tty.equals("true");
    }
    // Without the launcher: System.console() is null unless stdin and stdout are terminals.
    return System.console() != null;
  }

  void step() {
    if (bar != null) {
      bar.step();
    }
  }

  void stepBy(long n) {
    if (bar != null) {
      bar.stepBy(n);
    }
  }

  /** Text shown after the bar (the tutorial's loss, accuracy and rates). */
  void extraMessage(String message) {
    if (bar != null) {
      bar.setExtraMessage(message);
    }
  }

  /** The work is complete: the bar ends at 100% whether or not its total was known. */
  void done() {
    if (bar != null) {
      bar.maxHint(bar.getCurrent());
      bar.refresh();
    }
  }

  void maxHint(long max) {
    if (bar != null) {
      bar.maxHint(max);
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
