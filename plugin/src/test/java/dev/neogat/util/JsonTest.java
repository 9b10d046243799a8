package dev.neogat.util;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    private static Map<String, Object> map(Object... keysAndValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            map.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return map;
    }

    private static List<Object> list(Object... items) {
        return new ArrayList<>(Arrays.asList(items));
    }

    // ---------------------------------------------------------------- round trips

    @Test
    void nestedMapsListsAndScalarsRoundTrip() {
        Map<String, Object> value = map(
                "name", "gat",
                "layers", list(map("heads", 8L, "concat", true), map("heads", 1L, "concat", false)),
                "dropout", 0.6,
                "empty", map(),
                "none", null,
                "matrix", list(list(1L, 2L), list(), list(list(list(-3L)))),
                "mixed", list("a", 1L, 2.5, false, null, map("k", list())));
        String text = Json.write(value);
        Object parsed = Json.parse(text);
        assertEquals(value, parsed);
        assertInstanceOf(LinkedHashMap.class, parsed);
        // Key order is kept.
        assertEquals(List.copyOf(value.keySet()), List.copyOf(((Map<?, ?>) parsed).keySet()));
        // Writing again gives the same text.
        assertEquals(text, Json.write(parsed));
    }

    @Test
    void stringsWithEscapesAndUnicodeRoundTrip() {
        String[] strings = {
                "", "plain", "quote \" inside", "back\\slash", "slash / stays", "line\nbreak", "tab\there",
                "cr\rlf", "bell\u0007 null\u0000 esc\u001b unit\u001f", "\b\f",
                "caf\u00e9 na\u00efve", "\u4e2d\u6587", "emoji \ud83d\ude00 pair", "del \u007f", "\u2028\u2029",
                "looks like \\u0041 but is not"
        };
        for (String s : strings) {
            String text = Json.write(s);
            assertEquals(s, Json.parse(text), "round trip of " + text);
            assertEquals(map(s, s), Json.parse(Json.write(map(s, s))), "as key and value: " + text);
        }
    }

    @Test
    void controlCharactersAreWrittenEscaped() {
        assertEquals("\"a\\nb\\tc\\rd\\\"e\\\\f\"", Json.write("a\nb\tc\rd\"e\\f"));
        assertEquals("\"\\u0001\\u001f\"", Json.write("\u0001\u001f"));
    }

    @Test
    void readsAllStandardEscapes() {
        assertEquals("\" \\ / \b \f \n \r \t A \u00e9 \ud83d\ude00",
                Json.parse("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0041 \\u00E9 \\ud83d\\ude00\""));
    }

    @Test
    void integersComeBackAsLong() {
        Object parsed = Json.parse("[0, 1, -1, 42, 2147483648, -2147483649, 123456789012345678]");
        assertEquals(list(0L, 1L, -1L, 42L, 2147483648L, -2147483649L, 123456789012345678L), parsed);
        for (Object item : (List<?>) parsed) {
            assertInstanceOf(Long.class, item);
        }
        assertEquals(7L, Json.parse(Json.write(7)));
        assertEquals(7L, Json.parse(Json.write((short) 7)));
        assertEquals(7L, Json.parse(Json.write((byte) 7)));
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MAX_VALUE, Long.MIN_VALUE, 1_000_000_000_000_000_000L, -100_000_000_000_000_000L,
            -999_999_999_999_999_999L, 6_364_136_223_846_793_005L})
    void everyLongRoundTripsAsTheSameLong(long value) {
        // Seeds and other 64-bit integers must survive a config round trip exactly.
        Object parsed = Json.parse(Json.write(value));
        assertInstanceOf(Long.class, parsed, "parsed " + Json.write(value) + " as " + parsed);
        assertEquals(value, parsed);
    }

    @Test
    void numbersWithAFractionOrExponentComeBackAsDouble() {
        assertEquals(list(1.0, -0.5, 1000.0, 0.001, 2.0), Json.parse("[1.0, -0.5, 1e3, 1E-3, 2.0e0]"));
        assertInstanceOf(Double.class, Json.parse("1.0"));
        assertInstanceOf(Double.class, Json.parse("1e2"));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.1, 1e-300, -2.5E10, 0.20599822816882712, 1.0 / 3, Math.PI, -0.0, 0.0, 1.0,
            Double.MIN_VALUE, Double.MAX_VALUE, -Double.MAX_VALUE, 4.9e-324, 2.2250738585072014E-308, 1e21, 123456.789})
    void doublesRoundTripBitExactly(double value) {
        Object parsed = Json.parse(Json.write(value));
        assertInstanceOf(Double.class, parsed);
        assertEquals(Double.doubleToRawLongBits(value), Double.doubleToRawLongBits((Double) parsed),
                "round trip of " + value + " via " + Json.write(value));
    }

    @ParameterizedTest
    @CsvSource({
            "0.1, 0.1",
            "1e-300, 1.0E-300",
            "-2.5E10, -2.5E10",
            "0.20599822816882712, 0.20599822816882712",
            "1.7976931348623157e308, 1.7976931348623157E308"
    })
    void pythonReprOfADoubleParsesToTheNearestDouble(String text, double expected) {
        assertEquals(expected, (Double) Json.parse(text), 0.0);
        assertEquals(Double.toString(expected), Json.write(Json.parse(text)));
    }

    @Test
    void floatIsWrittenWithItsShortestFloatText() {
        assertEquals("0.1", Json.write(0.1f));
        assertEquals("[0.1,2.5]", Json.write(list(0.1f, 2.5f)));
    }

    @Test
    void nanAndInfinitiesRoundTrip() {
        assertEquals("NaN", Json.write(Double.NaN));
        assertEquals("Infinity", Json.write(Double.POSITIVE_INFINITY));
        assertEquals("-Infinity", Json.write(Double.NEGATIVE_INFINITY));
        assertEquals("NaN", Json.write(Float.NaN));
        assertTrue(Double.isNaN((Double) Json.parse("NaN")));
        assertEquals(Double.POSITIVE_INFINITY, Json.parse("Infinity"));
        assertEquals(Double.NEGATIVE_INFINITY, Json.parse("-Infinity"));
        List<Object> values = list(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1.5);
        assertEquals(values, Json.parse(Json.write(values)));
        assertEquals(map("loss", Double.NaN), Json.parse("{\"loss\": NaN}"));
    }

    @Test
    void primitiveArraysAreWrittenAsLists() {
        assertEquals("[1,-2,3]", Json.write(new int[]{1, -2, 3}));
        assertEquals("[0.5,-1.0E-7]", Json.write(new double[]{0.5, -1e-7}));
        assertEquals(list(0.5, 0.25, Double.NaN), Json.parse(Json.write(new double[]{0.5, 0.25, Double.NaN})));
        assertEquals("[]", Json.write(new int[0]));
    }

    @Test
    void literalsAndWhitespace() {
        assertEquals(true, Json.parse("true"));
        assertEquals(false, Json.parse(" false "));
        assertNull(Json.parse("\n\t null \r\n"));
        assertEquals(map("a", list(1L, 2L)), Json.parse(" { \"a\" : [ 1 , 2 ] } "));
        assertEquals(list(), Json.parse("[ ]"));
        assertEquals(map(), Json.parse("{ }"));
    }

    @Test
    void mapKeysThatAreNotStringsAreWrittenAsTheirText() {
        Map<Object, Object> keyed = new LinkedHashMap<>();
        keyed.put(1, "one");
        keyed.put(null, 2);
        assertEquals("{\"1\":\"one\",\"null\":2}", Json.write(keyed));
    }

    @Test
    void parseObjectReturnsTheMapAndRejectsOtherValues() {
        assertEquals(map("x", 1L), Json.parseObject("{\"x\":1}"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parseObject("[1]"));
        assertTrue(e.getMessage().contains("object"), e.getMessage());
    }

    @Test
    void writingAnUnsupportedTypeNamesIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.write(map("bad", new Object())));
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
    }

    // ---------------------------------------------------------------- malformed input

    private static void assertInvalid(String text, int position, String reason) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse(text),
                "accepted: " + text);
        String message = e.getMessage();
        assertTrue(message.contains("at character " + position), "position in: " + message + " for " + text);
        assertTrue(message.contains(reason), "reason in: " + message + " for " + text);
    }

    @Test
    void trailingCommaInAnArrayIsRejectedWithItsPosition() {
        assertInvalid("[1,2,]", 5, "unexpected character ']'");
    }

    @Test
    void trailingCommaInAnObjectIsRejectedWithItsPosition() {
        assertInvalid("{\"a\":1,}", 7, "expected a string key");
    }

    @Test
    void unterminatedStringIsRejectedAtTheEndOfInput() {
        assertInvalid("\"abc", 4, "unexpected end of input");
        assertInvalid("{\"key\": \"value}", 15, "unexpected end of input");
        assertInvalid("\"abc\\", 5, "unexpected end of input");
    }

    @Test
    void garbageAfterTheValueIsRejectedWithItsPosition() {
        assertInvalid("{} x", 3, "unexpected trailing characters");
        assertInvalid("1 2", 2, "unexpected trailing characters");
        assertInvalid("[1]]", 3, "unexpected trailing characters");
        assertInvalid("truex", 4, "unexpected trailing characters");
        assertInvalid("1.5f", 3, "unexpected trailing characters");
    }

    @Test
    void otherMalformedInputIsRejectedWithItsPosition() {
        assertInvalid("", 0, "unexpected end of input");
        assertInvalid("   ", 3, "unexpected end of input");
        assertInvalid("[1 2]", 4, "expected ',' or ']'");
        assertInvalid("{\"a\" 1}", 6, "expected ':'");
        assertInvalid("{\"a\":1 \"b\":2}", 8, "expected ',' or '}'");
        assertInvalid("{a:1}", 1, "expected a string key");
        assertInvalid("[1,", 3, "unexpected end of input");
        assertInvalid("{", 1, "unexpected end of input");
        assertInvalid("tru", 0, "expected 'true'");
        assertInvalid("nul", 0, "expected 'null'");
        assertInvalid("@", 0, "unexpected character '@'");
        assertInvalid("\"bad \\x escape\"", 7, "invalid escape '\\x'");
        assertInvalid("\"\\u12", 3, "truncated unicode escape");
        assertInvalid("--1", 3, "invalid number '--1'");
        assertInvalid("[-]", 2, "invalid number '-'");
        assertInvalid("1e", 2, "invalid number '1e'");
        assertInvalid("Nope", 0, "invalid number ''");
    }

    @Test
    void invalidHexDigitsInAUnicodeEscapeAreRejectedWithAPosition() {
        assertInvalid("\"\\u12zz\"", 3, "unicode");
    }
}
