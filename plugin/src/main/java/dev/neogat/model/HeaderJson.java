package dev.neogat.model;

import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The model file's header as JSON text, through Jackson (which Neo4j ships). Version-1 files were written by a
 * hand-written printer before Jackson, and the checksum covers the header's bytes, so this mapper prints exactly
 * what that printer printed: keys in map order, no spaces, numbers as {@code Long.toString}, {@code Float.toString}
 * and {@code Double.toString}, NaN and infinities unquoted, and of the control characters only newline, carriage
 * return and tab as short escapes, the others (backspace and form feed too) as six-character unicode escapes in
 * lower-case hexadecimal. Reading gives {@code LinkedHashMap}, {@code ArrayList}, {@code String}, {@code Boolean},
 * {@code null}, integers as {@code Long} and other numbers as {@code Double}. ModelFixtureCompatibilityTest holds a
 * version-1 file to this, byte for byte.
 */
final class HeaderJson {

    private static final JsonMapper MAPPER = JsonMapper.builder(new JsonFactoryBuilder()
                    .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
                    .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
                    .characterEscapes(new VersionOneEscapes())
                    .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                    .build())
            .enable(DeserializationFeature.USE_LONG_FOR_INTS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private HeaderJson() {
    }

    /** The JSON text of {@code value}; fails on a value JSON cannot hold (an object without properties). */
    static String write(Object value) throws JsonProcessingException {
        return MAPPER.writeValueAsString(value);
    }

    /** The value {@code text} holds. */
    static Object parse(String text) throws JsonProcessingException {
        return MAPPER.readValue(text, Object.class);
    }

    /**
     * {@code parsed} (maps, lists and values as {@link #parse} gives them) as a {@code type}, e.g. a record; a value
     * of the wrong type fails naming where it is ("'history[2].loss': ...").
     */
    static <T> T read(Object parsed, Class<T> type) {
        try {
            return MAPPER.convertValue(parsed, type);
        } catch (IllegalArgumentException e) {
            if (!(e.getCause() instanceof JsonMappingException mapping)) {
                throw e;
            }
            StringBuilder where = new StringBuilder();
            for (JsonMappingException.Reference step : mapping.getPath()) {
                if (step.getFieldName() != null) {
                    where.append(where.length() == 0 ? "" : ".").append(step.getFieldName());
                } else {
                    where.append('[').append(step.getIndex()).append(']');
                }
            }
            throw new IllegalArgumentException("'" + where + "': " + mapping.getOriginalMessage(), e);
        }
    }

    /** {@code value} (e.g. a record) as the plain values {@link #parse} would give for its JSON text. */
    static Object plain(Object value) {
        return MAPPER.convertValue(value, Object.class);
    }

    /** JSON's standard escapes, except that backspace and form feed get unicode escapes instead of short ones. */
    private static final class VersionOneEscapes extends CharacterEscapes {
        private final int[] asciiEscapes = CharacterEscapes.standardAsciiEscapesForJSON();

        VersionOneEscapes() {
            asciiEscapes['\b'] = ESCAPE_STANDARD;
            asciiEscapes['\f'] = ESCAPE_STANDARD;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return asciiEscapes;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            return null;
        }
    }
}
