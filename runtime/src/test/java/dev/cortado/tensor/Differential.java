package dev.cortado.tensor;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.cortado.proto.TensorProto;
import dev.cortado.proto.TensorProtos;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Runs both decoders on one input and fails unless both accept it with identical tensors or both
 * reject it with a DecodeException. The streaming decoder reads the input twice: from a heap array
 * and from a direct buffer whose window sits between junk bytes, which it must not read.
 */
final class Differential {
  /** What both decoders agreed on. */
  enum Outcome {
    ACCEPTED,
    REJECTED
  }

  private final TensorProtosDecoder decoder = new TensorProtosDecoder();
  private ByteBuffer direct = ByteBuffer.allocateDirect(1024);

  Outcome check(byte[] input) {
    List<Tensor> ref = null;
    DecodeException refError = null;
    try {
      ref = TensorProtoCodec.decodeRecord(ByteBuffer.wrap(input), "k");
    } catch (DecodeException e) {
      refError = e;
    }
    Result heap = stream(ByteBuffer.wrap(input));
    Result off = stream(windowed(input));
    compare(input, ref, refError, heap, "heap");
    compare(input, ref, refError, off, "direct");
    return ref != null ? Outcome.ACCEPTED : Outcome.REJECTED;
  }

  /** What the streaming decoder gave: tensors and names (null for no name), or an error. */
  private record Result(List<Tensor> tensors, List<byte[]> names, DecodeException error) {}

  private Result stream(ByteBuffer b) {
    int pos = b.position();
    int lim = b.limit();
    try {
      List<Tensor> out = decoder.decode(b, "k");
      check(b.position() == pos && b.limit() == lim, "decoder moved the buffer");
      List<byte[]> names = new ArrayList<>();
      for (int i = 0; i < out.size(); i++) {
        names.add(decoder.name(i));
      }
      return new Result(out, names, null);
    } catch (DecodeException e) {
      return new Result(null, null, e);
    }
  }

  private ByteBuffer windowed(byte[] input) {
    int need = input.length + 16;
    if (direct.capacity() < need) {
      direct = ByteBuffer.allocateDirect(Math.max(need, direct.capacity() * 2));
    }
    direct.clear();
    for (int i = 0; i < 7; i++) {
      direct.put((byte) 0x8a);
    }
    direct.put(input);
    int end = direct.position();
    for (int i = 0; i < 9; i++) {
      direct.put((byte) 0xff);
    }
    return direct.limit(end).position(7);
  }

  private static void compare(
      byte[] input, List<Tensor> ref, DecodeException refError, Result s, String how) {
    if (ref != null && s.tensors() != null) {
      check(ref.size() == s.tensors().size(), how + ": proto counts differ", input);
      for (int i = 0; i < ref.size(); i++) {
        Tensor a = ref.get(i);
        Tensor b = s.tensors().get(i);
        check(
            a.contentEquals(b),
            how + ": protos[" + i + "] differ: reference " + a + " streaming " + b,
            input);
      }
      List<TensorProto> protos = reference(input);
      for (int i = 0; i < protos.size(); i++) {
        TensorProto p = protos.get(i);
        byte[] name = p.hasName() ? p.getNameBytes().toByteArray() : null;
        check(
            Arrays.equals(name, s.names().get(i)), how + ": protos[" + i + "] names differ", input);
      }
      return;
    }
    if (refError != null && s.error() != null) {
      return;
    }
    throw new AssertionError(
        how
            + ": decoders disagree on input "
            + HexFormat.of().formatHex(input)
            + "\nreference: "
            + (refError != null ? "rejected: " + refError.getMessage() : "accepted " + ref)
            + "\nstreaming: "
            + (s.error() != null
                ? "rejected: " + s.error().getMessage()
                : "accepted " + s.tensors()),
        refError != null ? refError : s.error());
  }

  private static List<TensorProto> reference(byte[] input) {
    try {
      return TensorProtos.parseFrom(input).getProtosList();
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError("the reference decoder accepted what protobuf-java rejects", e);
    }
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }

  private static void check(boolean ok, String message, byte[] input) {
    if (!ok) {
      throw new AssertionError(message + " on input " + HexFormat.of().formatHex(input));
    }
  }
}
