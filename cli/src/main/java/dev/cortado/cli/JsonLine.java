package dev.cortado.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.Map;

/** One JSON object on one line, fields in insertion order; rates are rounded for people. */
final class JsonLine {
  private static final Gson GSON =
      new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

  private final Map<String, Object> fields = new LinkedHashMap<>();

  JsonLine put(String name, Object value) {
    fields.put(name, value);
    return this;
  }

  /** A double rounded to {@code decimals} places, printed without an exponent. */
  JsonLine put(String name, double value, int decimals) {
    if (Double.isNaN(value) || Double.isInfinite(value)) {
      fields.put(name, null);
    } else {
      fields.put(name, BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP));
    }
    return this;
  }

  Map<String, Object> asMap() {
    return fields;
  }

  @Override
  public String toString() {
    return GSON.toJson(fields);
  }

  /** Serializes any value (maps, lists, numbers, strings) on one line. */
  static String toJson(Object value) {
    return GSON.toJson(value);
  }
}
