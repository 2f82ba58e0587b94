package dev.cortado.cli;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A horizontal bar chart as SVG: one bar per run at its median, a line from min to max across it.
 * {@code cortado bench --plot} and {@code cortado plot} (which draws PERFORMANCE.md's chart from
 * bench JSON) both draw with it.
 */
final class BarChart {
  /** One bar: a label, the median and the spread of the passes. */
  record Bar(String label, double median, double min, double max) {}

  static final int WIDTH = 760;
  static final int ROW = 26;
  static final int LEFT = 190;
  static final int RIGHT = 90;
  static final int TOP = 44;

  private BarChart() {}

  /**
   * The bars of bench JSON: every object (one per line, or a JSON array) with {@code
   * <metric>_median} and optionally {@code _min}/{@code _max}; labelled by its {@code label} field,
   * else by db type and batch size.
   */
  static List<Bar> fromJson(String text, String metric) {
    List<JsonObject> objects = new ArrayList<>();
    String trimmed = text.trim();
    if (trimmed.startsWith("[")) {
      for (JsonElement e : JsonParser.parseString(trimmed).getAsJsonArray()) {
        objects.add(e.getAsJsonObject());
      }
    } else {
      for (String line : trimmed.split("\\R")) {
        if (!line.isBlank()) {
          objects.add(JsonParser.parseString(line).getAsJsonObject());
        }
      }
    }
    List<Bar> bars = new ArrayList<>();
    for (int i = 0; i < objects.size(); i++) {
      JsonObject o = objects.get(i);
      if (!o.has(metric + "_median") || o.get(metric + "_median").isJsonNull()) {
        throw new CliException("run " + (i + 1) + " has no " + metric + "_median: " + o);
      }
      double median = o.get(metric + "_median").getAsDouble();
      double min = number(o, metric + "_min", median);
      double max = number(o, metric + "_max", median);
      bars.add(new Bar(label(o, i), median, min, max));
    }
    return bars;
  }

  private static double number(JsonObject o, String field, double fallback) {
    return o.has(field) && !o.get(field).isJsonNull() ? o.get(field).getAsDouble() : fallback;
  }

  private static String label(JsonObject o, int i) {
    if (o.has("label")) {
      return o.get("label").getAsString();
    }
    StringBuilder sb = new StringBuilder();
    if (o.has("db_type")) {
      sb.append(o.get("db_type").getAsString());
    }
    if (o.has("batch_size")) {
      sb.append(sb.length() > 0 ? " " : "").append("batch ").append(o.get("batch_size"));
    }
    return sb.length() > 0 ? sb.toString() : "run " + (i + 1);
  }

  /** The chart as a standalone SVG document. */
  static String svg(List<Bar> bars, String title, String unit) {
    if (bars.isEmpty()) {
      throw new CliException("nothing to plot: no runs");
    }
    double top = 0;
    for (Bar b : bars) {
      top = Math.max(top, Math.max(b.max(), b.median()));
    }
    double scaleMax = niceCeiling(top);
    int plotW = WIDTH - LEFT - RIGHT;
    int height = TOP + bars.size() * ROW + 40;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
                + " height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n",
            WIDTH,
            height,
            WIDTH,
            height));
    s.append(
        String.format(
            Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"22\" font-size=\"15\"" + " font-weight=\"bold\">%s</text>%n",
            10,
            escape(title)));
    int axisY = TOP + bars.size() * ROW;
    for (int t = 0; t <= 4; t++) {
      double v = scaleMax * t / 4;
      double x = LEFT + plotW * t / 4.0;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\"" + " stroke=\"#ddd\"/>%n",
              x,
              TOP - 6,
              x,
              axisY));
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\"" + " fill=\"#555\">%s</text>%n",
              x,
              axisY + 16,
              escape(human(v))));
    }
    s.append(
        String.format(
            Locale.ROOT,
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\""
                + " fill=\"#555\">%s (bar: median; line: min to max)</text>%n",
            LEFT + plotW / 2,
            axisY + 32,
            escape(unit)));
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      int y = TOP + i * ROW;
      double w = plotW * b.median() / scaleMax;
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
              LEFT - 8,
              y + 15,
              escape(b.label())));
      s.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\""
                  + " fill=\"#4e79a7\"><title>%s: median %s, min %s, max %s</title></rect>%n",
              LEFT,
              y + 3,
              w,
              ROW - 8,
              escape(b.label()),
              human(b.median()),
              human(b.min()),
              human(b.max())));
      double x1 = LEFT + plotW * b.min() / scaleMax;
      double x2 = LEFT + plotW * b.max() / scaleMax;
      int cy = y + ROW / 2 - 1;
      s.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                  + " stroke=\"#222\" stroke-width=\"1.5\"/>%n",
              x1,
              cy,
              x2,
              cy));
      for (double x : new double[] {x1, x2}) {
        s.append(
            String.format(
                Locale.ROOT,
                "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\""
                    + " stroke=\"#222\" stroke-width=\"1.5\"/>%n",
                x,
                cy - 5,
                x,
                cy + 5));
      }
      s.append(
          String.format(
              Locale.ROOT,
              "<text x=\"%.1f\" y=\"%d\" fill=\"#222\">%s</text>%n",
              Math.max(x2, LEFT + w) + 6,
              y + 15,
              escape(human(b.median()))));
    }
    s.append("</svg>\n");
    return s.toString();
  }

  /** 1, 2 or 5 times a power of ten, at least {@code v}. */
  static double niceCeiling(double v) {
    if (v <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  static String human(double v) {
    if (v >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", v / 1e6);
    }
    if (v >= 1e3) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
