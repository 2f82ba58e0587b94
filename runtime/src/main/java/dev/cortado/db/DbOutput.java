package dev.cortado.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A DB (file or folder) written atomically: the writer fills a temporary sibling, {@code
 * <out>.partial-<pid>}, and {@link #commit()} renames it into place once it is complete. Until then
 * the previous state (no output, or the old output) is untouched.
 *
 * <ul>
 *   <li>An output that is one of the inputs, lies inside one or holds one (compared by real path,
 *       so through symlinks and {@code ..}) is refused before anything is opened for writing.
 *   <li>An existing output is refused unless overwriting was asked for; then the old one is
 *       replaced only after the new one is complete.
 *   <li>An error ({@link #close()} without {@link #commit()}), SIGINT or SIGTERM (a shutdown hook)
 *       removes the partial output; {@link #keptNote()} says what was kept.
 *   <li>A partial output that a killed process (SIGKILL, power loss) left behind is removed by the
 *       next writer of the same output, and named in a notice.
 * </ul>
 *
 * <p>The writer calls {@link #checkActive()} between records so that an interrupt stops it
 * promptly; the shutdown hook waits a few seconds for the writer to close its DB before it removes
 * the partial output anyway.
 */
public final class DbOutput implements AutoCloseable {
  /** The infix of a partial output's name: {@code <out>.partial-<pid>}. */
  public static final String PARTIAL = ".partial-";

  /** The infix of a replaced output while the new one is moved in: {@code <out>.old-<pid>}. */
  public static final String OLD = ".old-";

  private static final long PID = ProcessHandle.current().pid();

  /** Outputs committed by writers that may replace their own earlier output (Save). */
  private static final Set<Path> REPLACEABLE_OWN = new java.util.HashSet<>();

  /**
   * What {@code Save} does with an existing DB, a runtime service (bind it in a Guice module; the
   * CLI binds {@link #REFUSE} or, with {@code --overwrite}, {@link #REPLACE}).
   */
  public enum Policy {
    /** Caffe2's NEW mode: a minidb file is replaced, any other existing DB is an error. */
    CAFFE2,
    /** An existing DB is an error, unless this process saved it. */
    REFUSE,
    /** An existing DB is replaced once the new one is complete. */
    REPLACE
  }

  private static final Set<DbOutput> ACTIVE = new LinkedHashSet<>();
  private static Thread hook;

  private final Path target;
  private final Path partial;
  private final boolean targetExisted;
  private final Consumer<String> notices;
  private final CountDownLatch released = new CountDownLatch(1);
  private volatile boolean interrupted;
  private boolean removedPartial;
  private boolean replaceOwn;
  private boolean committed;
  private boolean closed;

  /** Thrown by {@link #checkActive()} once SIGINT or SIGTERM asked the process to stop. */
  public static final class Interrupted extends DbException {
    private static final long serialVersionUID = 1L;

    Interrupted(String message) {
      super(message);
    }
  }

  private DbOutput(Path target, Path partial, boolean targetExisted, Consumer<String> notices) {
    this.target = target;
    this.partial = partial;
    this.targetExisted = targetExisted;
    this.notices = notices;
  }

  /** How to begin an output: see {@link #to(Path)}. */
  public static final class Builder {
    private final Path target;
    private boolean overwrite;
    private final List<Path> inputs = new ArrayList<>();
    private Consumer<String> notices = s -> {};
    private String overwriteHint = "pass --overwrite to replace it once the new one is complete";
    private boolean replaceOwn;

    private Builder(Path target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /** Replace an existing output (only after the new one is complete). Default: refuse. */
    public Builder overwrite(boolean overwrite) {
      this.overwrite = overwrite;
      return this;
    }

    /** Paths that are read while writing: the output may be none of them. */
    public Builder inputs(Collection<Path> paths) {
      inputs.addAll(paths);
      return this;
    }

    /** Where notices about stale partial outputs and interrupts go (default: nowhere). */
    public Builder notices(Consumer<String> sink) {
      this.notices = Objects.requireNonNull(sink, "sink");
      return this;
    }

    /**
     * Replace an existing output that an earlier writer with this flag committed in this process (a
     * net that saves the same checkpoint again), even without {@link #overwrite(boolean)}.
     */
    public Builder replaceOwn(boolean replaceOwn) {
      this.replaceOwn = replaceOwn;
      return this;
    }

    /** What the refusal of an existing output suggests (default: pass --overwrite). */
    public Builder overwriteHint(String hint) {
      this.overwriteHint = hint;
      return this;
    }

    /**
     * Checks the output against the inputs and an existing output, removes stale partial outputs of
     * dead processes, and returns the output to write at {@link DbOutput#path()}. Nothing has been
     * opened for writing when this throws.
     */
    public DbOutput begin() {
      Path out = target.toAbsolutePath();
      refuseInputOverlap(target, inputs);
      Path parent = out.getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        throw new DbException(
            "cannot write " + target + ": its folder " + parent + " does not exist");
      }
      removeStale(out, notices);
      boolean exists = Files.exists(out, LinkOption.NOFOLLOW_LINKS);
      boolean own;
      synchronized (REPLACEABLE_OWN) {
        own = replaceOwn && REPLACEABLE_OWN.contains(out);
      }
      if (exists && !overwrite && !own) {
        throw new DbException(
            target
                + " already exists ("
                + describeExisting(out)
                + ") and was left as it is; "
                + overwriteHint);
      }
      if (exists && Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS) && !looksReplaceable(out)) {
        throw new DbException(
            "refusing to replace "
                + target
                + ": it is a folder that does not"
                + " look like a DB (no data.mdb, CURRENT, OPTIONS-* or _manifest.json in it); nothing"
                + " was changed");
      }
      Path partial = out.resolveSibling(out.getFileName() + PARTIAL + PID);
      deleteTree(partial);
      DbOutput output = new DbOutput(out, partial, exists, notices);
      output.replaceOwn = replaceOwn;
      register(output);
      return output;
    }
  }

  /** Starts describing an output DB at {@code target}. */
  public static Builder to(Path target) {
    return new Builder(target);
  }

  /** Where the writer creates the DB: the partial sibling of the output. */
  public Path path() {
    return partial;
  }

  /** The output's final path. */
  public Path target() {
    return target;
  }

  /** Throws {@link Interrupted} once the process has been asked to stop. */
  public void checkActive() {
    if (interrupted) {
      throw new Interrupted("interrupted while writing " + target);
    }
  }

  /**
   * Moves the complete DB into place, replacing the old output if there was one. The writer must
   * have closed the DB first.
   */
  public void commit() {
    synchronized (this) {
      checkActive();
      if (committed || closed) {
        throw new IllegalStateException(
            "output " + target + " is already " + (committed ? "committed" : "closed"));
      }
      if (!Files.exists(partial, LinkOption.NOFOLLOW_LINKS)) {
        throw new DbException(
            "cannot finish " + target + ": the writer left nothing at " + partial);
      }
      try {
        syncTree(partial);
        boolean fileOverFile =
            Files.isRegularFile(partial, LinkOption.NOFOLLOW_LINKS)
                && !Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS);
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS) || fileOverFile) {
          // rename(2) replaces a file atomically.
          Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } else {
          // A folder cannot be renamed over a folder: move the old one aside first. A kill in
          // between leaves <out>.old-<pid>, which the next writer puts back.
          Path old = target.resolveSibling(target.getFileName() + OLD + PID);
          deleteTree(old);
          Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
          try {
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
          } catch (IOException e) {
            Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            throw e;
          }
          deleteTree(old);
        }
        syncDirectory(target.getParent());
      } catch (IOException e) {
        throw new DbException(
            "cannot move the finished DB "
                + partial
                + " to "
                + target
                + ": "
                + e.getMessage()
                + "; "
                + keptNote(),
            e);
      }
      committed = true;
    }
    if (replaceOwn) {
      synchronized (REPLACEABLE_OWN) {
        REPLACEABLE_OWN.add(target);
      }
    }
    unregister(this);
    released.countDown();
  }

  /** Removes the partial output unless {@link #commit()} succeeded. Idempotent. */
  @Override
  public void close() {
    synchronized (this) {
      if (!committed && !closed) {
        closed = true;
        removedPartial = Files.exists(partial, LinkOption.NOFOLLOW_LINKS);
        deleteQuietly(partial);
      }
      closed = true;
    }
    unregister(this);
    released.countDown();
  }

  /** What an unfinished write left: the old output unchanged, or no output at all. */
  public String keptNote() {
    return (removedPartial ? "removed the partial output " + partial + "; " : "")
        + (targetExisted ? target + " is unchanged" : "no " + target + " was created");
  }

  // ---- interrupts ----

  private static synchronized void register(DbOutput output) {
    ACTIVE.add(output);
    if (hook == null) {
      hook = new Thread(DbOutput::onShutdown, "cortado-db-output-cleanup");
      try {
        Runtime.getRuntime().addShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        ACTIVE.remove(output);
        hook = null;
        throw new Interrupted("interrupted before writing " + output.target);
      }
    }
  }

  private static synchronized void unregister(DbOutput output) {
    ACTIVE.remove(output);
  }

  private static void onShutdown() {
    List<DbOutput> active;
    synchronized (DbOutput.class) {
      active = new ArrayList<>(ACTIVE);
    }
    for (DbOutput o : active) {
      synchronized (o) {
        if (o.committed || o.closed) {
          continue;
        }
        o.interrupted = true;
      }
    }
    for (DbOutput o : active) {
      if (!o.interrupted) {
        continue;
      }
      try {
        // The writer sees the flag at its next record, closes its DB and then this output.
        o.released.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      synchronized (o) {
        o.closed = true;
        o.removedPartial |= Files.exists(o.partial, LinkOption.NOFOLLOW_LINKS);
        deleteQuietly(o.partial);
      }
      o.notices.accept("interrupted: " + o.keptNote());
    }
  }

  // ---- stale partial outputs ----

  /**
   * Removes the {@code <out>.partial-<pid>} siblings that processes which no longer run left
   * behind, and moves back an {@code <out>.old-<pid>} whose replacement never arrived (a writer
   * killed between its two renames); says what it did to {@code notices}. Other writers that follow
   * this naming (the Spark tools' Parquet output) call it too.
   */
  public static void removeStale(Path out, Consumer<String> notices) {
    String name = out.getFileName().toString();
    Pattern stale = Pattern.compile(Pattern.quote(name) + "(\\.partial-|\\.old-)(\\d+)");
    List<Path> olds = new ArrayList<>();
    try (DirectoryStream<Path> siblings =
        Files.newDirectoryStream(
            out.getParent(), p -> p.getFileName().toString().startsWith(name + "."))) {
      for (Path p : siblings) {
        Matcher m = stale.matcher(p.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        long pid = Long.parseLong(m.group(2));
        if (pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
          continue;
        }
        if (m.group(1).equals(OLD)) {
          olds.add(p);
          continue;
        }
        deleteTree(p);
        notices.accept(
            "removed "
                + p
                + ", a partial output left by an earlier run that was"
                + " killed (process "
                + pid
                + " no longer runs)");
      }
    } catch (IOException e) {
      throw new DbException(
          "cannot list "
              + out.getParent()
              + " for partial outputs of "
              + out
              + ": "
              + e.getMessage(),
          e);
    }
    for (Path old : olds) {
      try {
        if (!Files.exists(out, LinkOption.NOFOLLOW_LINKS)) {
          Files.move(old, out, StandardCopyOption.ATOMIC_MOVE);
          notices.accept(
              "restored "
                  + out
                  + " from "
                  + old
                  + ", where a run killed while"
                  + " replacing it had moved it");
        } else {
          deleteTree(old);
          notices.accept(
              "removed " + old + ", the old output a killed run had already" + " replaced");
        }
      } catch (IOException e) {
        throw new DbException("cannot clean up " + old + ": " + e.getMessage(), e);
      }
    }
  }

  // ---- paths ----

  /**
   * Refuses {@code target} when it is one of {@code inputs}, lies inside one or holds one, compared
   * by real path (through symlinks and {@code ..}): writing it, or replacing it with an overwrite,
   * would change what is being read. Throws a {@link DbException} that names the input; nothing is
   * touched.
   */
  public static void refuseInputOverlap(Path target, Collection<Path> inputs) {
    Path realOut = realPath(target.toAbsolutePath());
    for (Path input : inputs) {
      Path realIn = realPath(input.toAbsolutePath());
      if (realOut.equals(realIn)) {
        throw new DbException(
            "refusing to write "
                + target
                + ": it is the input "
                + describeAlias(input, realIn)
                + "; nothing was changed");
      }
      if (realOut.startsWith(realIn)) {
        throw new DbException(
            "refusing to write "
                + target
                + ": it lies inside the input "
                + describeAlias(input, realIn)
                + "; nothing was changed");
      }
      if (realIn.startsWith(realOut)) {
        throw new DbException(
            "refusing to write "
                + target
                + ": the input "
                + input
                + " lies inside it; nothing was changed");
      }
    }
  }

  /**
   * The real path of {@code p}: symlinks and {@code ..} resolved for the part that exists, the rest
   * normalized. {@code p} must be absolute.
   */
  static Path realPath(Path p) {
    Path existing = p;
    List<Path> rest = new ArrayList<>();
    while (existing != null && !Files.exists(existing)) {
      rest.add(0, existing.getFileName());
      existing = existing.getParent();
    }
    Path real;
    try {
      real = existing == null ? p.getRoot() : existing.toRealPath();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (Path part : rest) {
      real = real.resolve(part);
    }
    return real.normalize();
  }

  private static String describeAlias(Path given, Path real) {
    return real.equals(given.toAbsolutePath().normalize())
        ? given.toString()
        : given + " (" + real + ")";
  }

  private static String describeExisting(Path out) {
    if (Files.isDirectory(out)) {
      return "a folder";
    }
    try {
      return "a file of " + Files.size(out) + " bytes";
    } catch (IOException e) {
      return "a file";
    }
  }

  /** An empty folder or one holding a DB's marker files; never a folder of other things. */
  private static boolean looksReplaceable(Path dir) {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      boolean empty = true;
      for (Path e : entries) {
        empty = false;
        String n = e.getFileName().toString();
        if (n.equals("data.mdb")
            || n.equals("CURRENT")
            || n.startsWith("OPTIONS-")
            || n.equals("_manifest.json")) {
          return true;
        }
      }
      return empty;
    } catch (IOException e) {
      return false;
    }
  }

  private static void syncTree(Path p) throws IOException {
    if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
        c.force(true);
      }
    } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(p)) {
        for (Path e : entries) {
          if (Files.isRegularFile(e, LinkOption.NOFOLLOW_LINKS)) {
            syncTree(e);
          }
        }
      }
      syncDirectory(p);
    }
  }

  private static void syncDirectory(Path dir) {
    // Makes the rename durable; not every file system lets a folder be opened for this.
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException | UnsupportedOperationException ignored) {
      // Best effort.
    }
  }

  /** Deletes a file or a folder tree without following symlinks; a missing path is fine. */
  public static void deleteTree(Path p) {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try {
      Files.walkFileTree(
          p,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE;
              }
              throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (e != null && !(e instanceof NoSuchFileException)) {
                throw e;
              }
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new DbException("cannot delete " + p + ": " + e.getMessage(), e);
    }
  }

  private static void deleteQuietly(Path p) {
    // A backend's background thread may still add a file while the tree is deleted.
    for (int attempt = 0; attempt < 3; attempt++) {
      try {
        deleteTree(p);
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
          return;
        }
      } catch (DbException e) {
        // Try again.
      }
    }
  }
}
