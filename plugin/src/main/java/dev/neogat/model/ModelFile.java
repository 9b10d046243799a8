package dev.neogat.model;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.TypedGatConfig;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.GatNetwork;
import dev.neogat.nn.Weights;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * The NeoGAT model file: a {@link TrainedModel} as bytes, versioned and checksummed, without Java
 * serialization. Layout, every integer and float <b>little-endian</b> (the native order of x86 and
 * ARM, so tensors move in bulk):
 *
 * <pre>
 * magic         8 bytes   "NEOGATM\n" (ASCII)
 * version       int32     format version: 1 for an untyped model, 2 for a typed one
 * header        int32 H, then H bytes of UTF-8 JSON:
 *                         version 1: {"config": GatConfig.toMap(), "metadata": ModelMetadata}
 *                         version 2: {"typedConfig": TypedGatConfig.toMap(), "metadata": ModelMetadata}
 * tensor count  int32 T, then T times:
 *                 name    int32 N, then N bytes of UTF-8 (e.g. "layers.0.weight")
 *                 shape   int32 rows, int32 cols
 *                 values  rows * cols float32, row-major
 * checksum      8 bytes   int64 CRC32C (java.util.zip.CRC32C) of every byte before it
 * </pre>
 *
 * <p>Tensors are written in {@link GatNetwork#parameterShapes} (or {@link dev.neogat.nn.TypedGatNetwork#parameterShapes}) order
 * and matched by name when read. The configuration reads through {@link GatConfig#fromMap} or
 * {@link TypedGatConfig#fromMap} (a key added later reads as the behaviour before it), the metadata as a
 * {@link ModelMetadata} record. Untyped models are still written as version 1, so plugins from before typed models
 * keep reading them; those plugins refuse a typed model by its version number. A reader refuses versions newer
 * than its own; a later reader keeps reading versions 1 and 2.
 *
 * <p>Reading holds the whole file in memory. It first walks the layout, checking every length and
 * count against the bytes left, so a cut-off file is reported as truncated at the field where it ends;
 * then it verifies the checksum; only then does it decode text, parse the header and build the model,
 * so flipped bits are reported as corruption rather than as whatever they happen to break. Every
 * problem is one {@link ModelFormatException} naming the source. Writing replaces the file atomically.
 */
public final class ModelFile {

    /** The newest version this reader reads. */
    public static final int FORMAT_VERSION = 2;
    /** The version of files holding an untyped model. */
    public static final int UNTYPED_VERSION = 1;
    /** The version of files holding a typed model. */
    public static final int TYPED_VERSION = 2;

    private static final byte[] MAGIC = "NEOGATM\n".getBytes(StandardCharsets.US_ASCII);
    private static final ByteOrder BYTE_ORDER = ByteOrder.LITTLE_ENDIAN;
    private static final int CHECKSUM_BYTES = Long.BYTES;
    /** A tensor with an empty name and no values still has its name length, rows and cols. */
    private static final int MIN_TENSOR_BYTES = 3 * Integer.BYTES;
    /** The largest byte array VMs reliably allocate, hence the largest model file. */
    private static final int MAX_FILE_BYTES = Integer.MAX_VALUE - 8;
    /** Tensor names quoted in messages are cut to this many characters. */
    private static final int MAX_QUOTED_NAME = 80;

    private ModelFile() {
    }

    /** The file's bytes; fails if the metadata's configuration holds a value JSON cannot hold. */
    public static byte[] encode(StoredModel model) {
        byte[] header = headerJson(model).getBytes(StandardCharsets.UTF_8);
        Map<String, DenseMatrix> tensors = model.weights().asMap();
        List<byte[]> names = new ArrayList<>();
        long size = MAGIC.length + Integer.BYTES + Integer.BYTES + header.length + Integer.BYTES;
        for (Map.Entry<String, DenseMatrix> tensor : tensors.entrySet()) {
            byte[] name = tensor.getKey().getBytes(StandardCharsets.UTF_8);
            names.add(name);
            size += MIN_TENSOR_BYTES + name.length + (long) Float.BYTES * tensor.getValue().storedValues();
        }
        size += CHECKSUM_BYTES;
        if (size > MAX_FILE_BYTES) {
            throw new IllegalArgumentException("The model needs " + size + " bytes, more than a model file can hold ("
                    + MAX_FILE_BYTES + ")");
        }

        ByteBuffer out = ByteBuffer.allocate((int) size).order(BYTE_ORDER);
        out.put(MAGIC).putInt(model instanceof TypedTrainedModel ? TYPED_VERSION : UNTYPED_VERSION);
        out.putInt(header.length).put(header);
        out.putInt(tensors.size());
        int index = 0;
        for (DenseMatrix matrix : tensors.values()) {
            byte[] name = names.get(index++);
            out.putInt(name.length).put(name);
            out.putInt(matrix.rows()).putInt(matrix.cols());
            // The float view starts at the current position but does not move it.
            out.asFloatBuffer().put(matrix.data());
            out.position(out.position() + Float.BYTES * matrix.data().length);
        }
        out.putLong(checksum(out.array(), out.position()));
        return out.array();
    }

    /**
     * The untyped model in {@code bytes}; {@code source} names the file or stream in error messages.
     *
     * @throws ModelFormatException if the bytes are not a complete, intact untyped model of a known version
     */
    public static TrainedModel decode(byte[] bytes, String source) throws ModelFormatException {
        return untyped(decodeAny(bytes, source), Objects.requireNonNullElse(source, "(unnamed)"));
    }

    /**
     * The model, untyped or typed, in {@code bytes}; {@code source} names the file or stream in error messages.
     *
     * @throws ModelFormatException if the bytes are not a complete, intact model of a known version
     */
    public static StoredModel decodeAny(byte[] bytes, String source) throws ModelFormatException {
        return new Decoder(bytes, Objects.requireNonNullElse(source, "(unnamed)")).decode();
    }

    private static TrainedModel untyped(StoredModel model, String source) throws ModelFormatException {
        if (model instanceof TrainedModel untyped) {
            return untyped;
        }
        throw new ModelFormatException(source, "it holds a typed model (node types "
                + ((TypedTrainedModel) model).config().nodeTypes() + "), where an untyped model is expected");
    }

    /**
     * Writes the model to {@code path}, replacing it atomically: readers see the old file or the new
     * one, never a partial one, even if the process dies mid-write.
     */
    public static void write(StoredModel model, Path path) throws IOException {
        byte[] bytes = encode(model);
        Path target = path.toAbsolutePath();
        if (Files.isDirectory(target)) {
            throw new IOException("Cannot write model " + path + ": it is a directory");
        }
        // Named by hand rather than by Files.createTempFile, whose owner-only permissions the model
        // file would keep; the same directory keeps the rename on one file system.
        Path temp = target.resolveSibling("." + target.getFileName() + "."
                + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ByteBuffer content = ByteBuffer.wrap(bytes);
                while (content.hasRemaining()) {
                    channel.write(content);
                }
                // On disk before the rename, so a crash cannot leave the new name on missing data.
                channel.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * The untyped model in the file at {@code path}.
     *
     * @throws ModelFormatException if the file is not a complete, intact untyped model of a known version
     * @throws IOException          if the file cannot be read at all
     */
    public static TrainedModel read(Path path) throws IOException {
        return untyped(readAny(path), path.toString());
    }

    /**
     * The model, untyped or typed, in the file at {@code path}.
     *
     * @throws ModelFormatException if the file is not a complete, intact model of a known version
     * @throws IOException          if the file cannot be read at all
     */
    public static StoredModel readAny(Path path) throws IOException {
        String source = path.toString();
        long size;
        try {
            size = Files.size(path);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(source, null, "no such model file");
        }
        if (size > MAX_FILE_BYTES) {
            throw new ModelFormatException(source, "the file has " + size
                    + " bytes, more than a model file can hold (" + MAX_FILE_BYTES + ")");
        }
        return decodeAny(Files.readAllBytes(path), source);
    }

    private static String headerJson(StoredModel model) {
        Map<String, Object> header = new LinkedHashMap<>();
        if (model instanceof TypedTrainedModel typed) {
            header.put("typedConfig", typed.config().toMap());
        } else {
            header.put("config", ((TrainedModel) model).config().toMap());
        }
        header.put("metadata", model.metadata());
        try {
            return HeaderJson.write(header);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("The model's metadata cannot be saved: " + e.getOriginalMessage(), e);
        }
    }

    private static long checksum(byte[] bytes, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, length);
        return crc.getValue();
    }

    /** A tensor as laid out in the file, before the checksum vouches for its name and values. */
    private record RawTensor(int nameStart, int nameLength, String label, int rows, int cols, float[] values) {
    }

    /** One pass over one file; {@code position} is the offset of the next unread byte. */
    private static final class Decoder {
        private final byte[] bytes;
        private final ByteBuffer buffer;
        private final String source;
        private int position;

        Decoder(byte[] bytes, String source) {
            this.bytes = bytes;
            this.buffer = ByteBuffer.wrap(bytes).order(BYTE_ORDER);
            this.source = source;
        }

        StoredModel decode() throws ModelFormatException {
            checkMagic();
            int version = readInt("the format version");
            if (version > FORMAT_VERSION) {
                throw problem("format version " + version + " is newer than this plugin supports ("
                        + FORMAT_VERSION + "); upgrade the plugin to read it");
            }
            if (version < 1) {
                throw problem("format version " + version + " is not a valid version");
            }
            int headerLength = readLength("the header length");
            int headerStart = skip(headerLength, "the header JSON");
            int tensorCount = readLength("the tensor count");
            // Capped by what the bytes left could hold: a corrupt count then fails at the first missing field.
            List<RawTensor> rawTensors = new ArrayList<>(Math.min(tensorCount, remaining() / MIN_TENSOR_BYTES));
            for (int t = 0; t < tensorCount; t++) {
                rawTensors.add(readTensor(t));
            }
            verifyChecksum(tensorCount);

            Map<?, ?> header = parseHeader(headerStart, headerLength);
            Map<String, Object> configMap = objectField(header, version == TYPED_VERSION ? "typedConfig" : "config");
            ModelMetadata metadata;
            try {
                metadata = HeaderJson.read(objectField(header, "metadata"), ModelMetadata.class);
            } catch (IllegalArgumentException e) {
                throw problem("the metadata in the header is invalid: " + e.getMessage(), e);
            }
            GatConfig config = null;
            TypedGatConfig typedConfig = null;
            try {
                if (version == TYPED_VERSION) {
                    typedConfig = TypedGatConfig.fromMap(configMap);
                } else {
                    config = GatConfig.fromMap(configMap);
                }
            } catch (RuntimeException e) {
                // fromMap casts and unboxes, so a foreign header can also fail with a cast or a null.
                String reason = e instanceof IllegalArgumentException ? e.getMessage() : e.toString();
                throw problem("the configuration in the header is invalid: " + reason, e);
            }
            Map<String, DenseMatrix> tensors = new LinkedHashMap<>();
            for (RawTensor raw : rawTensors) {
                String name = strictUtf8(raw.nameStart(), raw.nameLength(), "the name of " + raw.label());
                DenseMatrix matrix;
                try {
                    matrix = new DenseMatrix(raw.rows(), raw.cols(), raw.values());
                } catch (IllegalArgumentException e) {
                    throw problem(raw.label() + " is invalid: " + e.getMessage(), e);
                }
                if (tensors.put(name, matrix) != null) {
                    throw problem(raw.label() + " appears more than once");
                }
            }
            try {
                return typedConfig != null ? new TypedTrainedModel(typedConfig, new Weights(tensors), metadata)
                        : new TrainedModel(config, new Weights(tensors), metadata);
            } catch (IllegalArgumentException e) {
                throw problem("the weights do not match the configuration: " + e.getMessage(), e);
            }
        }

        private void checkMagic() throws ModelFormatException {
            if (bytes.length == 0) {
                throw problem("the file is empty");
            }
            int compared = Math.min(bytes.length, MAGIC.length);
            if (!Arrays.equals(bytes, 0, compared, MAGIC, 0, compared)) {
                throw problem("not a NeoGAT model file (starts with " + quoteBytes(bytes, MAGIC.length)
                        + ", a model file with " + quoteBytes(MAGIC, MAGIC.length) + ")");
            }
            skip(MAGIC.length, "the magic number");
        }

        private RawTensor readTensor(int index) throws ModelFormatException {
            int nameLength = readLength("the name length of tensor " + index);
            int nameStart = skip(nameLength, "the name of tensor " + index);
            // Lenient decoding of the start, for messages only: the name is checked strictly after the checksum.
            String name = new String(bytes, nameStart, Math.min(nameLength, 4 * MAX_QUOTED_NAME),
                    StandardCharsets.UTF_8);
            String label = "tensor '" + (name.length() > MAX_QUOTED_NAME
                    ? name.substring(0, MAX_QUOTED_NAME) + "..." : name) + "'";
            int rows = readInt("the row count of " + label);
            int cols = readInt("the column count of " + label);
            if (rows < 0 || cols < 0) {
                throw problem(label + " has a negative shape " + rows + " x " + cols + " at offset "
                        + (position - 2 * Integer.BYTES));
            }
            long values = (long) rows * cols;
            if (values > MAX_FILE_BYTES / Float.BYTES) {
                throw problem(label + " is " + rows + " x " + cols + ", more values than a model file can hold");
            }
            int valuesStart = skip(Float.BYTES * values, label + " (" + rows + " x " + cols + ")");
            float[] data = new float[(int) values];
            buffer.position(valuesStart);
            buffer.asFloatBuffer().get(data);
            return new RawTensor(nameStart, nameLength, label, rows, cols, data);
        }

        private void verifyChecksum(int tensorCount) throws ModelFormatException {
            int checksumStart = skip(CHECKSUM_BYTES, "the checksum");
            if (remaining() > 0) {
                throw problem(remaining() + " unexpected bytes after the header, " + tensorCount
                        + " tensors and checksum (the file should end at " + position + " but ends at "
                        + bytes.length + ")");
            }
            long stored = buffer.getLong(checksumStart);
            long computed = checksum(bytes, checksumStart);
            if (stored != computed) {
                throw problem(String.format("checksum mismatch (stored 0x%08x, computed 0x%08x): the file is corrupt",
                        stored, computed));
            }
        }

        private Map<?, ?> parseHeader(int start, int length) throws ModelFormatException {
            String text = strictUtf8(start, length, "the header");
            Object parsed;
            try {
                parsed = HeaderJson.parse(text);
            } catch (JsonProcessingException e) {
                JsonLocation location = e.getLocation();
                String where = location == null || location.getCharOffset() < 0 ? ""
                        : " at character " + location.getCharOffset();
                throw problem("header JSON is invalid" + where + ": " + e.getOriginalMessage(), e);
            }
            if (!(parsed instanceof Map<?, ?> header)) {
                throw problem("header JSON is not an object");
            }
            return header;
        }

        private Map<String, Object> objectField(Map<?, ?> header, String key) throws ModelFormatException {
            if (!(header.get(key) instanceof Map<?, ?> value)) {
                throw problem("header JSON has no object \"" + key + "\"");
            }
            Map<String, Object> copy = new LinkedHashMap<>();
            value.forEach((k, v) -> copy.put(String.valueOf(k), v));
            return copy;
        }

        private String strictUtf8(int start, int length, String what) throws ModelFormatException {
            try {
                return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, start, length)).toString();
            } catch (CharacterCodingException e) {
                throw problem(what + " is not valid UTF-8", e);
            }
        }

        private int readInt(String what) throws ModelFormatException {
            int start = skip(Integer.BYTES, what);
            return buffer.getInt(start);
        }

        /** A length or count: an int32 that must not be negative. */
        private int readLength(String what) throws ModelFormatException {
            int value = readInt(what);
            if (value < 0) {
                throw problem(what + " is negative (" + value + ") at offset " + (position - Integer.BYTES));
            }
            return value;
        }

        /** Moves past {@code length} bytes that must all be there; returns where they start. */
        private int skip(long length, String what) throws ModelFormatException {
            if (length > remaining()) {
                throw problem("truncated: " + what + " needs " + length + " bytes at offset " + position
                        + " but the file ends at " + bytes.length);
            }
            int start = position;
            position += (int) length;
            return start;
        }

        private int remaining() {
            return bytes.length - position;
        }

        private ModelFormatException problem(String message) {
            return new ModelFormatException(source, message);
        }

        private ModelFormatException problem(String message, Throwable cause) {
            return new ModelFormatException(source, message, cause);
        }
    }

    /** The first {@code limit} bytes as a quoted string: printable ASCII as is, others as \xNN. */
    private static String quoteBytes(byte[] bytes, int limit) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < Math.min(bytes.length, limit); i++) {
            int b = bytes[i] & 0xff;
            if (b == '\n') {
                out.append("\\n");
            } else if (b == '"' || b == '\\') {
                out.append('\\').append((char) b);
            } else if (b >= 0x20 && b < 0x7f) {
                out.append((char) b);
            } else {
                out.append(String.format("\\x%02x", b));
            }
        }
        out.append('"');
        if (bytes.length > limit) {
            out.append("...");
        }
        return out.toString();
    }
}
