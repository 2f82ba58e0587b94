package dev.cortado.spark;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Case-insensitive access to the data source's options, with checked conversions. */
public final class Options {
  public static final String PATH = "path";
  public static final String PATHS = "paths";
  public static final String DB_TYPE = "db_type";
  public static final String VALUE_FORMAT = "value_format";
  public static final String COLUMNS = "columns";
  public static final String SPLITS_PER_DB = "splits_per_db";
  public static final String NUM_SHARDS = "num_shards";
  public static final String SHARD_ID = "shard_id";
  public static final String ON_BAD_RECORD = "on_bad_record";
  public static final String SHARD_BY = "shard_by";

  private final Map<String, String> values = new TreeMap<>();

  public Options(Map<String, String> options) {
    for (Map.Entry<String, String> e : options.entrySet()) {
      values.put(e.getKey().toLowerCase(Locale.ROOT), e.getValue());
    }
  }

  public String get(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? null : v.trim();
  }

  public String get(String name, String absent) {
    String v = get(name);
    return v == null ? absent : v;
  }

  /** One of {@code allowed}, lower case; anything else is an error listing them. */
  public String choice(String name, String absent, String... allowed) {
    String v = get(name, absent).toLowerCase(Locale.ROOT);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw new IllegalArgumentException(
        "tensorprotos: option "
            + name
            + " must be one of "
            + String.join(", ", allowed)
            + ", got '"
            + get(name)
            + "'");
  }

  /** An int of at least {@code min}; {@code absent} when the option is not given. */
  public Integer integer(String name, Integer absent, int min) {
    String v = get(name);
    if (v == null) {
      return absent;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "tensorprotos: option " + name + " must be an integer, got '" + v + "'");
    }
    if (parsed < min) {
      throw new IllegalArgumentException(
          "tensorprotos: option " + name + " must be >= " + min + ", got " + parsed);
    }
    return parsed;
  }

  /** The paths given to {@code load}/{@code save}: the {@code paths} JSON array or {@code path}. */
  public List<String> paths() {
    List<String> out = new ArrayList<>();
    String many = get(PATHS);
    if (many != null) {
      try {
        out.addAll(new ObjectMapper().readValue(many, new TypeReference<List<String>>() {}));
      } catch (Exception e) {
        out.add(many);
      }
    }
    String one = get(PATH);
    if (one != null) {
      out.add(one);
    }
    return out;
  }

  /** The comma-separated names of {@code columns}, or an empty list. */
  public List<String> list(String name) {
    String v = get(name);
    List<String> out = new ArrayList<>();
    if (v != null) {
      for (String part : v.split(",")) {
        String t = part.trim();
        if (t.isEmpty()) {
          throw new IllegalArgumentException(
              "tensorprotos: option " + name + " has an empty name: '" + v + "'");
        }
        out.add(t);
      }
    }
    return out;
  }

  public Map<String, String> asMap() {
    return values;
  }
}
