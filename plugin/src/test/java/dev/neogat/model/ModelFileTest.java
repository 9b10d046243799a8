package dev.neogat.model;

import dev.neogat.spec.GatConfig;
import dev.neogat.spec.Variant;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.neogat.nn.DenseMatrix;
import dev.neogat.nn.Weights;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelFileTest {

    private static final GatConfig GAT = GatConfig.builder(5, 3).hiddenChannels(4).hiddenHeads(2).messageDropout(0)
            .normalizeFeatures(false).build();

    private static final GatConfig GATV2_RESIDUAL = GatConfig.builder(6, 4)
            .variant(Variant.GATV2)
            .layers(3)
            .hiddenChannels(3, 2)
            .hiddenHeads(2, 3)
            .outputHeads(2)
            .concatHidden(false)
            .residual(true)
            .multiLabel(true)
            .normalizeFeatures(true)
            .featureDropout(0.25)
            .attentionDropout(0.1)
            .negativeSlope(0.15)
            .messageDropout(0).build();

    // ---- round trips ----

    @Test
    void gatRoundTripsBitForBit() throws IOException {
        TrainedModel model = model(GAT, 7);
        assertSameModel(model, ModelFile.decode(ModelFile.encode(model), "gat.neogat"));
    }

    @Test
    void gatV2WithResidualRoundTripsBitForBit() throws IOException {
        TrainedModel model = model(GATV2_RESIDUAL, 11);
        assertTrue(model.weights().asMap().containsKey("layers.0.weight_res"));
        assertSameModel(model, ModelFile.decode(ModelFile.encode(model), "gatv2.neogat"));
    }

    @Test
    void relationshipFeaturesRoundTripAndTheirAbsenceStaysUnwritten() throws IOException {
        GatConfig withEdges = GAT.toBuilder().edgeDim(3).build();
        TrainedModel model = model(withEdges, 4);
        assertTrue(model.weights().asMap().containsKey("layers.1.att_edge"));
        TrainedModel read = ModelFile.decode(ModelFile.encode(model), "edges.neogat");
        assertSameModel(model, read);
        assertEquals(3, read.config().edgeDim());
        assertFalse(GAT.toMap().containsKey("edgeDim"), "a model without relationship features keeps its old header");
        assertEquals(0, GatConfig.fromMap(GAT.toMap()).edgeDim());
    }

    @Test
    void extremeFloatsRoundTripBitForBit() throws IOException {
        Map<String, DenseMatrix> tensors = new LinkedHashMap<>(Weights.initialize(GAT, 3).asMap());
        float[] bias = {-0.0f, Float.MIN_VALUE, -Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 1e-30f, 0.0f,
                (float) Math.PI};
        tensors.put("layers.0.bias", new DenseMatrix(1, bias.length, bias));
        TrainedModel model = new TrainedModel(GAT, new Weights(tensors), ModelMetadata.NONE);
        assertSameModel(model, ModelFile.decode(ModelFile.encode(model), "extreme.neogat"));
    }

    @Test
    void encodingFollowsTheDocumentedLayout() {
        TrainedModel model = model(GATV2_RESIDUAL, 5);
        byte[] byHand = craft(headerOf(model), new ArrayList<>(model.weights().asMap().entrySet()));
        assertArrayEquals(byHand, ModelFile.encode(model));
    }

    /**
     * The checksum covers the header's bytes, so the header is printed as version-1 files print it (the text below
     * is what the hand-written printer before Jackson gave): map order, no spaces, Java's shortest float and double
     * text, NaN and infinities unquoted, short escapes only for newline, tab and carriage return.
     */
    @Test
    void headerValuesArePrintedAsVersionOneFilesPrintThem() throws IOException {
        byte[] bytes = ModelFile.encode(new TrainedModel(GAT, Weights.initialize(GAT, 1),
                configured(valuesOfEveryKind())));
        String header = new String(bytes, 16, new Layout(bytes).headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{\"config\":{\"variant\":\"gat\",\"inputDim\":5,\"classCount\":3,"), header);
        assertTrue(header.endsWith(",\"metadata\":{\"configuration\":{"
                + "\"text\":\"a\\nb\\tc\\rd\\\"e\\\\f \\u0001\\u001f\\u0008\\u000c\u007f / é 😀\","
                + "\"floats\":[0.1,2.5,1.0E-5],"
                + "\"doubles\":[1.0E-300,5.0E-4,1.0E21,-0.0,0.20599822816882712,0.3333333333333333,100.0],"
                + "\"nonFinite\":[NaN,Infinity,-Infinity,NaN],"
                + "\"integers\":[9223372036854775807,-9223372036854775808,7,-7,1],"
                + "\"keyed\":{\"1\":\"one\",\"2\":\"two\"},"
                + "\"arrays\":[[1,-2,3],[0.5,-1.0E-7]],"
                + "\"literals\":[true,false,null],"
                + "\"empty\":[{},[]]}}}"), header);
    }

    @Test
    void headerValuesReadBackAsLongDoubleStringBooleanNullListAndMap() throws IOException {
        byte[] bytes = ModelFile.encode(new TrainedModel(GAT, Weights.initialize(GAT, 1),
                configured(valuesOfEveryKind())));
        TrainedModel decoded = ModelFile.decode(bytes, "values.gatm");
        Map<String, Object> metadata = decoded.metadata().configuration();
        assertEquals("a\nb\tc\rd\"e\\f \u0001\u001f\b\f\u007f / é 😀", metadata.get("text"));
        assertEquals(List.of(0.1, 2.5, 1.0E-5), metadata.get("floats"));
        List<?> doubles = (List<?>) metadata.get("doubles");
        double[] written = {1e-300, 5e-4, 1e21, -0.0, 0.20599822816882712, 1.0 / 3, 100.0};
        for (int i = 0; i < written.length; i++) {
            assertEquals(Double.doubleToRawLongBits(written[i]), Double.doubleToRawLongBits((Double) doubles.get(i)),
                    "double " + written[i]);
        }
        assertEquals(List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN),
                metadata.get("nonFinite"));
        List<?> integers = (List<?>) metadata.get("integers");
        assertEquals(List.of(Long.MAX_VALUE, Long.MIN_VALUE, 7L, -7L, 1L), integers);
        integers.forEach(value -> assertEquals(Long.class, value.getClass()));
        assertEquals(Map.of("1", "one", "2", "two"), metadata.get("keyed"));
        assertEquals(List.of(List.of(1L, -2L, 3L), List.of(0.5, -1e-7)), metadata.get("arrays"));
        assertEquals(Arrays.asList(true, false, null), metadata.get("literals"));
        assertEquals(List.of(Map.of(), List.of()), metadata.get("empty"));
        assertEquals(List.copyOf(valuesOfEveryKind().keySet()), List.copyOf(metadata.keySet()));
        assertArrayEquals(bytes, ModelFile.encode(decoded), "re-encoding what was read");
    }

    @Test
    void metadataThatJsonCannotHoldIsRefusedWhenEncoding() {
        TrainedModel model = new TrainedModel(GAT, Weights.initialize(GAT, 1),
                configured(Map.of("when", new Object())));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelFile.encode(model));
        assertTrue(e.getMessage().contains("metadata cannot be saved"), e.getMessage());
    }

    @Test
    void metadataReadsAsItsTypedRecordAndIgnoresKeysFromNewerVersions() throws IOException {
        TrainedModel model = model(GAT, 2);
        Map<String, Object> header = headerOf(model);
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("bestEpoch", 7L);
        metadata.put("training", Map.of("epochs", 10L, "learningRate", 0.01, "weightDecay", 0.0, "patience", 3L,
                "seed", 5L));
        metadata.put("projection", Map.of("nodeLabels", List.of("Paper"), "orientation", "NATURAL"));
        metadata.put("fromTheFuture", Map.of("anything", 1L));
        header.put("metadata", metadata);
        ModelMetadata read = ModelFile.decode(craft(header, new ArrayList<>(model.weights().asMap().entrySet())),
                "newer.neogat").metadata();
        assertEquals(7, read.bestEpoch());
        assertEquals(new ModelMetadata.Training(10, 0.01, 0.0, 3, 5L), read.training());
        assertEquals(new ModelMetadata.Projection(List.of("Paper"), null, "NATURAL", null, null, null, null),
                read.projection());
        assertNull(read.history());
    }

    @Test
    void theProjectionsRelationshipFeaturesAndTheirStatisticsRoundTrip() throws IOException {
        ModelMetadata.RelationshipFeatures features = new ModelMetadata.RelationshipFeatures(null,
                Map.of("PAID", List.of("amount", "hour"), "OWNS", List.of("share")), "zero", List.of(1.5, -2.0),
                List.of(0.25, 3.0));
        ModelMetadata.Projection projection = new ModelMetadata.Projection(List.of("Account"), List.of("PAID", "OWNS"),
                "UNDIRECTED", true, false, List.of("x"), "error", features);
        TrainedModel model = new TrainedModel(GAT, Weights.initialize(GAT, 1), ModelMetadata.NONE.withTrainedOn(
                "2026-12-05T12:00:00Z", List.of(0L, 1L), "risk", projection, 3, 4, null, "cpu", "accuracy", null,
                null, null));
        ModelMetadata read = ModelFile.decode(ModelFile.encode(model), "features.neogat").metadata();
        assertEquals(projection, read.projection());
    }

    @Test
    void aWronglyTypedMetadataValueNamesItsKeyAndTheFile() {
        TrainedModel model = model(GAT, 2);
        Map<String, Object> header = headerOf(model);
        header.put("metadata", Map.of("training", Map.of("epochs", "many")));
        String problem = decodeFails(craft(header, new ArrayList<>(model.weights().asMap().entrySet())),
                "typed.neogat").problem();
        assertTrue(problem.startsWith("the metadata in the header is invalid: 'training.epochs': "), problem);
        assertTrue(problem.contains("\"many\""), problem);
    }

    // ---- files ----

    @Test
    void writeThenReadLeavesOnlyTheModelFile(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("cora.neogat");
        TrainedModel first = model(GAT, 1);
        ModelFile.write(first, path);
        assertSameModel(first, ModelFile.read(path));
        assertArrayEquals(ModelFile.encode(first), Files.readAllBytes(path));
        assertEquals(List.of(path), filesIn(dir));

        TrainedModel second = model(GATV2_RESIDUAL, 2);
        ModelFile.write(second, path);
        assertSameModel(second, ModelFile.read(path));
        assertEquals(List.of(path), filesIn(dir));
    }

    @Test
    void writingOntoADirectoryFailsAndLeavesNothingBehind(@TempDir Path dir) throws IOException {
        Path path = Files.createDirectory(dir.resolve("model.neogat"));
        IOException e = assertThrows(IOException.class, () -> ModelFile.write(model(GAT, 1), path));
        assertTrue(e.getMessage().contains("directory"), e.getMessage());
        assertEquals(List.of(path), filesIn(dir));
    }

    @Test
    void readingAForeignFileNamesIt(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("notes.txt");
        Files.writeString(path, "These are not weights.\n");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.read(path));
        assertEquals(path.toString(), e.source());
        assertTrue(e.getMessage().contains(path.toString()), e.getMessage());
        assertTrue(e.problem().startsWith("not a NeoGAT model file (starts with \"These ar\"..."), e.problem());
    }

    @Test
    void readingAnEmptyFileSaysSo(@TempDir Path dir) throws IOException {
        Path path = Files.createFile(dir.resolve("empty.neogat"));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.read(path));
        assertEquals("Cannot read model " + path + ": the file is empty", e.getMessage());
        assertEquals("the file is empty", decodeFails(new byte[0], "stream").problem());
    }

    @Test
    void readingAMissingFileNamesIt(@TempDir Path dir) {
        Path path = dir.resolve("missing.neogat");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ModelFile.read(path));
        assertEquals(path + ": no such model file", e.getMessage());
    }

    // ---- foreign, newer, truncated, corrupt ----

    @Test
    void foreignBytesAreNotAModelFile() {
        byte[] zip = {0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x08, 0x00, 0x08, 0x00};
        assertEquals("not a NeoGAT model file (starts with \"PK\\x03\\x04\\x14\\x00\\x08\\x00\"..., "
                + "a model file with \"NEOGATM\\n\")", decodeFails(zip, "model.zip").problem());

        byte[] json = json(headerOf(model(GAT, 1))).getBytes(StandardCharsets.UTF_8);
        assertTrue(decodeFails(json, "model.json").problem().startsWith("not a NeoGAT model file"));

        byte[] almost = ModelFile.encode(model(GAT, 1));
        almost[6] = 'X';
        assertTrue(decodeFails(almost, "almost.neogat").problem().startsWith("not a NeoGAT model file"));

        byte[] shortForeign = {'a', 'b', 'c'};
        assertEquals("not a NeoGAT model file (starts with \"abc\", a model file with \"NEOGATM\\n\")",
                decodeFails(shortForeign, "abc").problem());
    }

    @Test
    void newerVersionsAreRefusedByNumber() {
        byte[] bytes = ModelFile.encode(model(GAT, 1));
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 9);
        assertEquals("format version 9 is newer than this plugin supports (2); upgrade the plugin to read it",
                decodeFails(bytes, "future.neogat").problem());

        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(8, 0);
        assertEquals("format version 0 is not a valid version", decodeFails(bytes, "zero.neogat").problem());
    }

    @Test
    void everyTruncationIsReportedAsTruncation() {
        byte[] bytes = ModelFile.encode(model(GATV2_RESIDUAL, 1));
        for (int cut = 1; cut < bytes.length; cut++) {
            String source = "cut-at-" + cut + ".neogat";
            ModelFormatException e = decodeFails(Arrays.copyOf(bytes, cut), source);
            assertTrue(e.problem().startsWith("truncated: ") && e.problem().endsWith("the file ends at " + cut),
                    "cut at " + cut + ": " + e.getMessage());
        }
    }

    @Test
    void truncationNamesTheFieldWhereTheFileEnds() {
        byte[] bytes = ModelFile.encode(model(GAT, 1));
        Layout layout = new Layout(bytes);

        int insideHeader = 16 + layout.headerLength / 2;
        assertEquals("truncated: the header JSON needs " + layout.headerLength + " bytes at offset 16 but the file ends at "
                + insideHeader, decodeFails(Arrays.copyOf(bytes, insideHeader), "h.neogat").problem());

        int insideData = layout.firstTensorData + 10;
        assertEquals("truncated: tensor 'layers.0.weight' (5 x 8) needs 160 bytes at offset " + layout.firstTensorData
                + " but the file ends at " + insideData, decodeFails(Arrays.copyOf(bytes, insideData), "t.neogat").problem());

        int insideChecksum = bytes.length - 3;
        assertEquals("truncated: the checksum needs 8 bytes at offset " + (bytes.length - 8) + " but the file ends at "
                + insideChecksum, decodeFails(Arrays.copyOf(bytes, insideChecksum), "c.neogat").problem());
    }

    @Test
    void aFlippedByteInTheMiddleIsAChecksumMismatch() {
        GatConfig wide = GatConfig.builder(64, 7).messageDropout(0).normalizeFeatures(false).build();
        byte[] bytes = ModelFile.encode(model(wide, 1));
        Layout layout = new Layout(bytes);
        int middle = bytes.length / 2;
        assertTrue(middle > layout.firstTensorData + 100, "the middle should lie in layers.0.weight");
        bytes[middle] ^= 0x10;
        String problem = decodeFails(bytes, "flipped.neogat").problem();
        assertTrue(problem.matches("checksum mismatch \\(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\\): "
                + "the file is corrupt"), problem);
    }

    @Test
    void aFlippedByteInTheHeaderIsAChecksumMismatchNotAJsonError() {
        byte[] bytes = ModelFile.encode(model(GAT, 1));
        bytes[16 + 3] ^= (byte) 0x80;
        assertTrue(decodeFails(bytes, "header.neogat").problem().startsWith("checksum mismatch"));
    }

    @Test
    void everySingleByteFlipIsDetected() {
        byte[] original = ModelFile.encode(model(GATV2_RESIDUAL, 1));
        for (int offset = 0; offset < original.length; offset++) {
            for (int mask : new int[]{0x01, 0x80, 0xff}) {
                byte[] bytes = original.clone();
                bytes[offset] ^= (byte) mask;
                decodeFails(bytes, "flip-" + offset + ".neogat");
            }
        }
    }

    @Test
    void bytesAfterTheChecksumAreRefused() {
        byte[] bytes = ModelFile.encode(model(GAT, 1));
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 3);
        assertEquals("3 unexpected bytes after the header, 8 tensors and checksum (the file should end at "
                + bytes.length + " but ends at " + longer.length + ")", decodeFails(longer, "long.neogat").problem());
    }

    // ---- well checksummed but inconsistent ----

    @Test
    void aTensorOfTheWrongShapeIsRefused() {
        TrainedModel model = model(GAT, 1);
        List<Map.Entry<String, DenseMatrix>> tensors = new ArrayList<>(model.weights().asMap().entrySet());
        tensors.replaceAll(t -> t.getKey().equals("layers.0.att_src") ? entry(t.getKey(), DenseMatrix.zeros(4, 2)) : t);
        assertEquals("the weights do not match the configuration: Parameter 'layers.0.att_src' is 4 x 2 but the "
                + "configuration needs 2 x 4", decodeFails(craft(headerOf(model), tensors), "shape.neogat").problem());
    }

    @Test
    void missingExtraAndRepeatedTensorsAreRefused() {
        TrainedModel model = model(GAT, 1);
        List<Map.Entry<String, DenseMatrix>> all = new ArrayList<>(model.weights().asMap().entrySet());

        List<Map.Entry<String, DenseMatrix>> missing = new ArrayList<>(all);
        missing.removeIf(t -> t.getKey().equals("layers.1.bias"));
        assertTrue(decodeFails(craft(headerOf(model), missing), "missing.neogat").problem()
                .endsWith("The model lacks the parameter 'layers.1.bias'"));

        List<Map.Entry<String, DenseMatrix>> extra = new ArrayList<>(all);
        extra.add(entry("layers.2.weight", DenseMatrix.zeros(3, 3)));
        assertTrue(decodeFails(craft(headerOf(model), extra), "extra.neogat").problem()
                .endsWith("The model has the parameter 'layers.2.weight' that its configuration does not use"));

        List<Map.Entry<String, DenseMatrix>> repeated = new ArrayList<>(all);
        repeated.add(all.get(3));
        assertEquals("tensor 'layers.0.bias' appears more than once",
                decodeFails(craft(headerOf(model), repeated), "repeated.neogat").problem());
    }

    @Test
    void aNonFiniteWeightIsRefused() {
        TrainedModel model = model(GAT, 1);
        byte[] bytes = new RawFile().magicAndVersion()
                .text(json(headerOf(model)))
                .int32(1)
                .tensor("layers.0.bias", 1, 2, new float[]{0f, Float.NaN})
                .withChecksum();
        assertEquals("tensor 'layers.0.bias' is invalid: Feature value NaN at row 0, column 1 is not a finite number",
                decodeFails(bytes, "nan.neogat").problem());
    }

    @Test
    void negativeAndOversizedLengthsAreRefusedWithoutAllocating() {
        String header = json(headerOf(model(GAT, 1)));
        int countOffset = 16 + header.getBytes(StandardCharsets.UTF_8).length;

        assertEquals("the header length is negative (-1) at offset 12",
                decodeFails(new RawFile().magicAndVersion().int32(-1).withChecksum(), "a").problem());
        assertTrue(decodeFails(new RawFile().magicAndVersion().int32(Integer.MAX_VALUE).withChecksum(), "b")
                .problem().startsWith("truncated: the header JSON needs 2147483647 bytes at offset 16"));
        assertEquals("the tensor count is negative (-7) at offset " + countOffset,
                decodeFails(new RawFile().magicAndVersion().text(header).int32(-7).withChecksum(), "c").problem());
        assertEquals("truncated: the name length of tensor 0 needs 4 bytes at offset " + (countOffset + 4)
                + " but the file ends at " + (countOffset + 4),
                decodeFails(new RawFile().magicAndVersion().text(header).int32(Integer.MAX_VALUE).bytes(), "d").problem());
        assertTrue(decodeFails(new RawFile().magicAndVersion().text(header).int32(1).int32(Integer.MAX_VALUE)
                .int32(0).int32(0).withChecksum(), "e").problem().startsWith("truncated: the name of tensor 0 needs"));
        assertTrue(decodeFails(new RawFile().magicAndVersion().text(header).int32(1).text("w").int32(-2).int32(3)
                .withChecksum(), "f").problem().startsWith("tensor 'w' has a negative shape -2 x 3"));
        assertEquals("tensor 'w' is 2147483647 x 2147483647, more values than a model file can hold",
                decodeFails(new RawFile().magicAndVersion().text(header).int32(1).text("w").int32(Integer.MAX_VALUE)
                        .int32(Integer.MAX_VALUE).withChecksum(), "g").problem());
        assertTrue(decodeFails(new RawFile().magicAndVersion().text(header).int32(1).text("w").int32(1000).int32(1000)
                .withChecksum(), "h").problem().startsWith("truncated: tensor 'w' (1000 x 1000) needs 4000000 bytes"));
    }

    @Test
    void aBrokenHeaderIsRefusedWithTheReason() {
        Map<String, Object> header = headerOf(model(GAT, 1));
        String json = json(header);

        assertTrue(problemWithHeader(json.substring(0, json.length() / 2))
                .startsWith("header JSON is invalid at character " + json.length() / 2 + ": Unexpected end-of-input"));
        assertTrue(problemWithHeader("{} x").startsWith("header JSON is invalid at character 3: "));
        assertTrue(problemWithHeader("{\"config\": {}, }").startsWith("header JSON is invalid at character 15: "));
        assertEquals("header JSON is not an object", problemWithHeader("[1, 2]"));
        assertEquals("header JSON has no object \"config\"", problemWithHeader("{\"metadata\": {}}"));
        assertEquals("header JSON has no object \"metadata\"",
                problemWithHeader(json(Map.of("config", header.get("config")))));
        assertTrue(problemWithHeader("[".repeat(1_000_000) + "]".repeat(1_000_000))
                .contains("nesting depth (1001) exceeds the maximum allowed"));

        byte[] notUtf8 = new RawFile().magicAndVersion().int32(3).bytes(new byte[]{'{', (byte) 0xff, '}'}).int32(0)
                .withChecksum();
        assertEquals("the header is not valid UTF-8", decodeFails(notUtf8, "utf8.neogat").problem());
    }

    @Test
    void anInvalidConfigurationIsRefusedWithTheReason() {
        assertTrue(problemWithConfig("dropout", 1.5).endsWith("dropout must be in [0, 1), got 1.5"));
        assertEquals(CONFIG_PROBLEM + "the model configuration's 'variant' must be one of [gat, gatv2], got 'gat3'",
                problemWithConfig("variant", "gat3"));
        assertEquals(CONFIG_PROBLEM + "the model configuration's 'concat' must be true or false, got the string 'yes'",
                problemWithConfig("concat", "yes"));
        assertEquals(CONFIG_PROBLEM + "the model configuration's 'residual' must be true or false, got null",
                problemWithConfig("residual", null));
        assertEquals(CONFIG_PROBLEM + "the model configuration's 'heads' must be a list of integers, got the string "
                + "'eight'", problemWithConfig("heads", "eight"));
        assertEquals(CONFIG_PROBLEM + "the model configuration's 'inputDim' must be an integer, got 5.5",
                problemWithConfig("inputDim", 5.5));
    }

    @Test
    void aKeyAddedAfterAModelWasWrittenReadsAsTheBehaviourOfItsDay() throws IOException {
        GatConfig trainedWithDropouts = GAT.toBuilder().messageDropout(0.5).inputDropoutPerHead(true).build();
        TrainedModel model = model(trainedWithDropouts, 3);
        Map<String, Object> header = headerOf(model);
        Map<String, Object> config = new LinkedHashMap<>(trainedWithDropouts.toMap());
        config.remove("messageDropout");
        config.remove("inputDropoutPerHead");
        header.put("config", config);
        TrainedModel old = ModelFile.decode(craft(header, new ArrayList<>(model.weights().asMap().entrySet())),
                "old.neogat");
        // Written before these keys existed: no message dropout, one input mask shared by the heads.
        assertEquals(GAT.toBuilder().messageDropout(0).inputDropoutPerHead(false).build(), old.config());
        assertSameWeights(model, old);
    }

    @Test
    void aKeyEveryModelHasHeldIsRequired() {
        TrainedModel model = model(GAT, 1);
        Map<String, Object> header = headerOf(model);
        Map<String, Object> config = new LinkedHashMap<>(GAT.toMap());
        config.remove("normalizeFeatures");
        header.put("config", config);
        assertEquals(CONFIG_PROBLEM + "the model configuration lacks 'normalizeFeatures' (true or false)",
                decodeFails(craft(header, new ArrayList<>(model.weights().asMap().entrySet())), "lacking.neogat")
                        .problem());
    }

    @Test
    void aKeyFromANewerVersionIsRefusedRatherThanIgnored() {
        assertEquals(CONFIG_PROBLEM + "the model configuration has the key 'relationAggregation', which this "
                + "version does not know (the model was written by a newer version of NeoGAT; upgrade to use it)",
                problemWithConfig("relationAggregation", "attention"));
    }

    // ---- helpers ----

    private static String json(Object value) {
        try {
            return HeaderJson.write(value);
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private static TrainedModel model(GatConfig config, long seed) {
        return new TrainedModel(config, Weights.initialize(config, seed), configured(metadata()));
    }

    /** Metadata whose free-form part, the configuration as gat.train reported it, holds {@code values}. */
    private static ModelMetadata configured(Map<String, Object> values) {
        return new ModelMetadata(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null, values, null);
    }

    /** JSON values of every kind, as the header reads them back (integers Long, other numbers Double). */
    private static Map<String, Object> metadata() {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("classes", List.of("Neural_Networks", "Théorie \"quotée\"", "back\\slash", "日本語 😀",
                "tab\tnew\nline\u0001"));
        metadata.put("epochs", 200L);
        metadata.put("negative", -42L);
        metadata.put("accuracy", 0.8125);
        metadata.put("tiny", 1.0e-300);
        metadata.put("converged", true);
        metadata.put("note", null);
        metadata.put("history", List.of(Map.of("epoch", 1L, "loss", 1.9459101090932196),
                Map.of("epoch", 2L, "loss", 1.5)));
        Map<String, Object> nested = new LinkedHashMap<>();
        nested.put("deeper", Arrays.asList(1L, Arrays.asList(2L, null), Map.of(), List.of()));
        metadata.put("nested", nested);
        metadata.put("", "empty key");
        return metadata;
    }

    /** Metadata with every kind of value the header can print, in the types callers put there. */
    private static Map<String, Object> valuesOfEveryKind() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("text", "a\nb\tc\rd\"e\\f \u0001\u001f\b\f\u007f / é 😀");
        values.put("floats", List.of(0.1f, 2.5f, 1.0E-5f));
        values.put("doubles", Arrays.asList(1e-300, 5e-4, 1e21, -0.0, 0.20599822816882712, 1.0 / 3, 100.0));
        values.put("nonFinite", Arrays.asList(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
                Float.NaN));
        values.put("integers", Arrays.asList(Long.MAX_VALUE, Long.MIN_VALUE, 7, (short) -7, (byte) 1));
        Map<Object, Object> keyed = new LinkedHashMap<>();
        keyed.put(1, "one");
        keyed.put(2L, "two");
        values.put("keyed", keyed);
        values.put("arrays", Arrays.asList(new int[]{1, -2, 3}, new double[]{0.5, -1e-7}));
        values.put("literals", Arrays.asList(true, false, null));
        values.put("empty", List.of(Map.of(), List.of()));
        return values;
    }

    private static void assertSameModel(TrainedModel expected, TrainedModel actual) {
        assertEquals(expected.config(), actual.config());
        assertSameWeights(expected, actual);
        assertEquals(expected.metadata(), actual.metadata());
    }

    private static void assertSameWeights(TrainedModel expected, TrainedModel actual) {
        Map<String, DenseMatrix> expectedTensors = expected.weights().asMap();
        Map<String, DenseMatrix> actualTensors = actual.weights().asMap();
        assertEquals(List.copyOf(expectedTensors.keySet()), List.copyOf(actualTensors.keySet()));
        for (Map.Entry<String, DenseMatrix> tensor : expectedTensors.entrySet()) {
            DenseMatrix want = tensor.getValue();
            DenseMatrix got = actualTensors.get(tensor.getKey());
            assertEquals(want.rows(), got.rows(), tensor.getKey());
            assertEquals(want.cols(), got.cols(), tensor.getKey());
            assertArrayEquals(rawBits(want.data()), rawBits(got.data()), tensor.getKey());
        }
    }

    private static int[] rawBits(float[] values) {
        int[] bits = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            bits[i] = Float.floatToRawIntBits(values[i]);
        }
        return bits;
    }

    /** Decoding must fail with exactly one ModelFormatException that names the source. */
    private static ModelFormatException decodeFails(byte[] bytes, String source) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelFile.decode(bytes, source),
                source);
        assertEquals(source, e.source());
        assertEquals("Cannot read model " + source + ": " + e.problem(), e.getMessage());
        return e;
    }

    private static String problemWithHeader(String headerJson) {
        byte[] bytes = new RawFile().magicAndVersion().text(headerJson).int32(0).withChecksum();
        return decodeFails(bytes, "header.neogat").problem();
    }

    private static final String CONFIG_PROBLEM = "the configuration in the header is invalid: ";

    private static String problemWithConfig(String key, Object value) {
        TrainedModel model = model(GAT, 1);
        Map<String, Object> config = new LinkedHashMap<>(GAT.toMap());
        config.put(key, value);
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("config", config);
        header.put("metadata", Map.of());
        String problem = decodeFails(craft(header, new ArrayList<>(model.weights().asMap().entrySet())),
                "config.neogat").problem();
        assertTrue(problem.startsWith("the configuration in the header is invalid: "), problem);
        return problem;
    }

    private static Map<String, Object> headerOf(TrainedModel model) {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("config", model.config().toMap());
        header.put("metadata", model.metadata());
        return header;
    }

    private static Map.Entry<String, DenseMatrix> entry(String name, DenseMatrix matrix) {
        return new AbstractMap.SimpleImmutableEntry<>(name, matrix);
    }

    /** A model file built field by field from the documented layout, independently of ModelFile. */
    private static byte[] craft(Map<String, Object> header, List<Map.Entry<String, DenseMatrix>> tensors) {
        RawFile file = new RawFile().magicAndVersion().text(json(header)).int32(tensors.size());
        for (Map.Entry<String, DenseMatrix> tensor : tensors) {
            DenseMatrix matrix = tensor.getValue();
            file.tensor(tensor.getKey(), matrix.rows(), matrix.cols(), matrix.data());
        }
        return file.withChecksum();
    }

    private static List<Path> filesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.toList();
        }
    }

    /** Offsets in an encoded model, read from its length fields. */
    private static final class Layout {
        final int headerLength;
        final int firstTensorData;

        Layout(byte[] bytes) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            headerLength = buffer.getInt(12);
            int firstName = 16 + headerLength + 4;
            firstTensorData = firstName + 4 + buffer.getInt(firstName) + 8;
        }
    }

    /** Little-endian fields appended one by one; {@link #withChecksum} closes the file with its CRC32C. */
    private static final class RawFile {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        RawFile magicAndVersion() {
            return bytes("NEOGATM\n".getBytes(StandardCharsets.US_ASCII)).int32(1);
        }

        RawFile bytes(byte[] bytes) {
            out.writeBytes(bytes);
            return this;
        }

        RawFile int32(int value) {
            return bytes(ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array());
        }

        /** int32 byte length, then the UTF-8 bytes. */
        RawFile text(String text) {
            byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
            return int32(utf8.length).bytes(utf8);
        }

        RawFile tensor(String name, int rows, int cols, float[] values) {
            ByteBuffer data = ByteBuffer.allocate(Float.BYTES * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float value : values) {
                data.putFloat(value);
            }
            return text(name).int32(rows).int32(cols).bytes(data.array());
        }

        /** The fields so far, without a checksum (for files that end early). */
        byte[] bytes() {
            return out.toByteArray();
        }

        byte[] withChecksum() {
            byte[] body = out.toByteArray();
            CRC32C crc = new CRC32C();
            crc.update(body);
            return ByteBuffer.allocate(body.length + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN)
                    .put(body).putLong(crc.getValue()).array();
        }
    }
}
