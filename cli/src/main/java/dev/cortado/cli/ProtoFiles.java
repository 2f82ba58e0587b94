package dev.cortado.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a NetDef or PlanDef file in protobuf binary or text format, decided from the content as
 * Caffe2's run_plan does (binary first, text as fallback), but robustly: a file that is valid UTF-8
 * text without control bytes is parsed as text first, because short text files can happen to parse
 * as binary messages full of unknown fields.
 */
final class ProtoFiles {
  private ProtoFiles() {}

  /**
   * Parses {@code path} into a message of {@code prototype}'s type; {@code what} names it in
   * errors.
   */
  @SuppressWarnings("unchecked")
  static <M extends Message> M read(Path path, M prototype, String what) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(path);
    } catch (IOException e) {
      throw new CliException(what + " file " + path + ": " + Errors.oneLine(e), e);
    }
    String typeName = prototype.getDescriptorForType().getName();
    if (bytes.length == 0) {
      throw new CliException(
          what
              + " file "
              + path
              + ": the file is empty; expected a "
              + typeName
              + " in protobuf text or binary format");
    }
    String text = asText(bytes);
    TextFormat.ParseException textError = null;
    if (text != null) {
      try {
        Message.Builder b = prototype.newBuilderForType();
        TextFormat.getParser().merge(text, b);
        return (M) b.build();
      } catch (TextFormat.ParseException e) {
        textError = e;
      }
    }
    try {
      Message m = prototype.getParserForType().parseFrom(bytes);
      if (text == null || m.getUnknownFields().asMap().isEmpty()) {
        return (M) m;
      }
    } catch (InvalidProtocolBufferException e) {
      if (text == null) {
        throw new CliException(
            what
                + " file "
                + path
                + ": not a valid binary "
                + typeName
                + " (and not text): "
                + e.getMessage(),
            e);
      }
    }
    throw new CliException(
        what
            + " file "
            + path
            + ": not a valid "
            + typeName
            + " in text format: "
            + textError.getMessage(),
        textError);
  }

  /** The bytes as a string when they are UTF-8 text without control characters, else null. */
  static String asText(byte[] bytes) {
    String s;
    try {
      s =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f') {
        return null;
      }
      if (c == 0x7f) {
        return null;
      }
    }
    return s;
  }
}
