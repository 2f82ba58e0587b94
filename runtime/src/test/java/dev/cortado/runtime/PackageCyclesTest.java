package dev.cortado.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The packages of the SPI and the runtime form no cycle: operators see the narrow context, nets see
 * a blob scope, the workspace holds nets, and plans drive workspaces. Read from the sources, so a
 * new import that closes a loop fails here with the loop spelled out.
 */
class PackageCyclesTest {
  private static final Pattern PACKAGE =
      Pattern.compile("^package (dev\\.cortado[\\w.]*);", Pattern.MULTILINE);
  private static final Pattern REFERENCE =
      Pattern.compile("\\b(dev\\.cortado(?:\\.[a-z]\\w*)*)\\.[A-Z]");

  @Test
  void theRuntimeAndTheSpiHaveNoPackageCycle() throws IOException {
    Map<String, Set<String>> graph =
        graph(List.of(Path.of("src/main/java"), Path.of("../operator-api/src/main/java")));
    assertThat(graph).containsKeys("dev.cortado.workspace", "dev.cortado.net", "dev.cortado.plan");
    assertThat(cycles(graph)).isEmpty();
  }

  @Test
  void theCheckFindsACycle() {
    Map<String, Set<String>> graph = new TreeMap<>();
    graph.put("a", new TreeSet<>(Set.of("b")));
    graph.put("b", new TreeSet<>(Set.of("c")));
    graph.put("c", new TreeSet<>(Set.of("a")));
    graph.put("d", new TreeSet<>(Set.of("a")));
    assertThat(cycles(graph)).containsExactly(List.of("a", "b", "c"));
  }

  /**
   * Package → the other dev.cortado packages its classes name (imports and qualified names). An
   * {@code .internal} package is its parent's implementation (the prefetch hand-off behind
   * PrefetchOperator), so it counts as part of the parent.
   */
  static Map<String, Set<String>> graph(List<Path> roots) throws IOException {
    Map<String, Set<String>> graph = new TreeMap<>();
    for (Path root : roots) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path file :
            (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
          String text = Files.readString(file);
          Matcher p = PACKAGE.matcher(text);
          if (!p.find()) {
            continue;
          }
          String pkg = owner(p.group(1));
          Set<String> deps = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
          Matcher r = REFERENCE.matcher(text.substring(p.end()));
          while (r.find()) {
            String target = owner(r.group(1));
            if (!target.equals(pkg) && !target.startsWith("dev.cortado.proto")) {
              deps.add(target);
            }
          }
        }
      }
    }
    return graph;
  }

  private static String owner(String pkg) {
    return pkg.endsWith(".internal") ? pkg.substring(0, pkg.length() - ".internal".length()) : pkg;
  }

  /** The strongly connected components with more than one package (Tarjan), each sorted. */
  static List<List<String>> cycles(Map<String, Set<String>> graph) {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<List<String>> found = new ArrayList<>();
    int[] counter = {0};
    for (String v : graph.keySet()) {
      if (!index.containsKey(v)) {
        strongConnect(v, graph, index, low, stack, onStack, found, counter);
      }
    }
    return found;
  }

  private static void strongConnect(
      String v,
      Map<String, Set<String>> graph,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      List<List<String>> found,
      int[] counter) {
    index.put(v, counter[0]);
    low.put(v, counter[0]);
    counter[0]++;
    stack.push(v);
    onStack.add(v);
    for (String w : graph.getOrDefault(v, Set.of())) {
      if (!index.containsKey(w)) {
        strongConnect(w, graph, index, low, stack, onStack, found, counter);
        low.put(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.contains(w)) {
        low.put(v, Math.min(low.get(v), index.get(w)));
      }
    }
    if (low.get(v).equals(index.get(v))) {
      List<String> component = new ArrayList<>();
      String w;
      do {
        w = stack.pop();
        onStack.remove(w);
        component.add(w);
      } while (!w.equals(v));
      if (component.size() > 1) {
        component.sort(null);
        found.add(component);
      }
    }
  }
}
