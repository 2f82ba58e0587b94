package dev.cortado.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How ReadmeRunsTest reads Markdown, and that a failing command fails it. */
class ReadmeBlocksTest {
  @Test
  void blocksCommandsAndMarkersAreReadAsWritten(@TempDir Path tmp) throws Exception {
    Path md = tmp.resolve("README.md");
    Files.writeString(
        md,
        """
        # Tool
        ## Using it
        ```
        # a comment
        ./cortado make-mnist-db --image-file a.gz \\
            --output-file /tmp/x --db-type lmdb
        ./cortado ops   # trailing comment
        ```
        <!-- readme-test: skip (needs a GPU) -->

        ```
        ./gpu-check.sh run OUT
        ```
        ```
        Usage: cortado [-hqV]
        ```
        ```java
        ./not-a-shell-block
        ```
        ## Next
        ```
        ./cortado ops
        ```
        """);

    List<ReadmeRunsTest.Block> blocks = ReadmeRunsTest.blocks(md);
    List<ReadmeRunsTest.Block> usingIt = ReadmeRunsTest.section(blocks, md, "Using it");

    assertThat(blocks).hasSize(5);
    assertThat(usingIt).hasSize(4);
    assertThat(ReadmeRunsTest.commands(usingIt.get(0)))
        .containsExactly(
            "./cortado make-mnist-db --image-file a.gz --output-file /tmp/x --db-type lmdb",
            "./cortado ops   # trailing comment");
    assertThat(usingIt.get(0).skipReason()).isNull();
    assertThat(usingIt.get(1).skipReason()).isEqualTo("needs a GPU");
    assertThat(usingIt)
        .extracting(ReadmeRunsTest::isShell)
        .containsExactly(true, true, false, false);
  }

  @Test
  void aBlockIsRunWhenItsFirstLineIsACommand(@TempDir Path tmp) throws Exception {
    Path md = tmp.resolve("README.md");
    Files.writeString(
        md,
        "```\n# comment\n./cortado ops\nhead -c 10 x > y\n```\n```\nUsage: cortado\n./x\n```\n"
            + "```\nop { type: \"Cast\" }\n```\n```\nln -s a b\n```\n");
    List<ReadmeRunsTest.Block> blocks = ReadmeRunsTest.blocks(md);

    assertThat(blocks)
        .extracting(ReadmeRunsTest::isShell)
        .containsExactly(true, false, false, true);
    assertThat(ReadmeRunsTest.commands(blocks.get(0)))
        .containsExactly("./cortado ops", "head -c 10 x > y");
  }

  @Test
  void aFailingCommandFailsWithTheBlockTheCommandAndItsOutput(@TempDir Path tmp) throws Exception {
    Path md = tmp.resolve("README.md");
    Files.writeString(md, "```\n./cortado ops --device cpu\n./cortado no-such-command --x\n```\n");
    ReadmeRunsTest.Block block = ReadmeRunsTest.blocks(md).get(0);
    Sandbox sandbox = Sandbox.create(tmp.resolve("sandbox"));

    assertThatThrownBy(() -> ReadmeRunsTest.runBlock(block, sandbox))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("a README command failed")
        .hasMessageContaining("$ ./cortado no-such-command --x")
        .hasMessageContaining("exit 2")
        .hasMessageContaining("no-such-command");
  }

  @Test
  void tmpPathsMoveIntoTheSandbox(@TempDir Path tmp) throws Exception {
    Sandbox sandbox = Sandbox.create(tmp.resolve("s"));

    assertThat(sandbox.localize("./cortado inspect --db /tmp/a --out=/tmp/b x/tmp/c"))
        .isEqualTo(
            "./cortado inspect --db "
                + sandbox.dir()
                + "/tmp/a --out="
                + sandbox.dir()
                + "/tmp/b x/tmp/c");
  }
}
