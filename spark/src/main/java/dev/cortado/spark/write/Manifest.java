package dev.cortado.spark.write;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code _manifest.json}: what a write produced, per shard. Written last before {@code _SUCCESS},
 * through a temporary file and a rename.
 */
public final class Manifest {
  public static final String FORMAT = "cortado-tensorprotos-shards/1";

  /** One shard DB. */
  public static final class Shard implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The file or directory name in the output directory. */
    public String name;

    public String db_type;
    public long records;

    /** The shard's size on disk. */
    public long bytes;

    /** The sum of the key and value lengths. */
    public long data_bytes;

    /** Hex of the first and last key, null for an empty shard. */
    public String first_key_hex;

    public String last_key_hex;

    /** The first record's tensors, such as {@code BYTE[1,28,28] INT32[]}; null when empty. */
    public String schema;
  }

  public String format = FORMAT;
  public int num_shards;
  public long records;
  public List<Shard> shards = new ArrayList<>();

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public static Manifest read(Path file) throws IOException {
    Manifest m = JSON.readValue(file.toFile(), Manifest.class);
    if (!FORMAT.equals(m.format)) {
      throw new IOException(file + " is not a " + FORMAT + " manifest (format " + m.format + ")");
    }
    return m;
  }

  public void write(Path file) throws IOException {
    num_shards = shards.size();
    records = 0;
    for (Shard s : shards) {
      records += s.records;
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    JSON.writeValue(tmp.toFile(), this);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }
}
