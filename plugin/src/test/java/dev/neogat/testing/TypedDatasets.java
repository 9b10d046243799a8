package dev.neogat.testing;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/**
 * A small dataset in the typed CSV layout of {@code ../shared/datasets} with two node types and two relations,
 * written as the shared datasets are (gzip files, schema.txt, labels.txt): {@value #PAPERS} {@code Paper}
 * nodes (the target: {@value #CLASSES} classes, {@value #PAPER_FEATURES} feature columns, ids 0..9 train,
 * 10..14 val, the rest test; paper 17 has no features), {@value #AUTHORS} {@code Author} nodes
 * ({@value #AUTHOR_FEATURES} feature columns, no label or split), {@code Paper-CITES-Paper} and
 * {@code Author-WRITES-Paper}.
 */
public final class TypedDatasets {

    public static final int PAPERS = 30;
    public static final int AUTHORS = 8;
    public static final int CLASSES = 3;
    public static final int PAPER_FEATURES = 6;
    public static final int AUTHOR_FEATURES = 4;

    private TypedDatasets() {
    }

    /** The class of paper {@code i}. */
    public static int classOf(int paper) {
        return paper % CLASSES;
    }

    /** Paper i's features: column c is c + 1 for c = i mod 6 and c = (i + 2) mod 6, except paper 17 (none). */
    public static String paperFeatures(int paper) {
        if (paper == 17) {
            return "";
        }
        int a = paper % PAPER_FEATURES;
        int b = (paper + 2) % PAPER_FEATURES;
        return Math.min(a, b) + ":" + (Math.min(a, b) + 1) + " " + Math.max(a, b) + ":" + (Math.max(a, b) + 1);
    }

    public static String split(int paper) {
        return paper < 10 ? "train" : paper < 15 ? "val" : "test";
    }

    /** Paper i cites i + 1 and i + 3 (when they exist); author a writes papers 3a, 3a + 1 and 3a + 2. */
    public static int citations() {
        return (PAPERS - 1) + (PAPERS - 3);
    }

    public static int authorships() {
        return 3 * AUTHORS;
    }

    public static Path write(Path directory) throws IOException {
        Files.createDirectories(directory);
        StringBuilder papers = new StringBuilder("id,label,split,features\n");
        for (int i = 0; i < PAPERS; i++) {
            papers.append(i).append(',').append(classOf(i)).append(',').append(split(i)).append(',')
                    .append(paperFeatures(i)).append('\n');
        }
        StringBuilder authors = new StringBuilder("id,label,split,features\n");
        for (int a = 0; a < AUTHORS; a++) {
            authors.append(a).append(",,,").append(a % AUTHOR_FEATURES).append(":1\n");
        }
        StringBuilder cites = new StringBuilder("source,target\n");
        for (int i = 0; i < PAPERS; i++) {
            for (int step : new int[]{1, 3}) {
                if (i + step < PAPERS) {
                    cites.append(i).append(',').append(i + step).append('\n');
                }
            }
        }
        StringBuilder writes = new StringBuilder("source,target\n");
        for (int a = 0; a < AUTHORS; a++) {
            for (int k = 0; k < 3; k++) {
                writes.append(a).append(',').append(3 * a + k).append('\n');
            }
        }
        gzip(directory.resolve("nodes-Paper.csv.gz"), papers.toString());
        gzip(directory.resolve("nodes-Author.csv.gz"), authors.toString());
        gzip(directory.resolve("edges-Paper-CITES-Paper.csv.gz"), cites.toString());
        gzip(directory.resolve("edges-Author-WRITES-Paper.csv.gz"), writes.toString());
        Files.writeString(directory.resolve("schema.txt"), "[nodes]\n"
                + "type,count,feature_columns,role,file\n"
                + "Paper," + PAPERS + "," + PAPER_FEATURES + ",target,nodes-Paper.csv.gz\n"
                + "Author," + AUTHORS + "," + AUTHOR_FEATURES + ",,nodes-Author.csv.gz\n"
                + "[relations]\n"
                + "source_type,relation,target_type,count,file\n"
                + "Paper,CITES,Paper," + citations() + ",edges-Paper-CITES-Paper.csv.gz\n"
                + "Author,WRITES,Paper," + authorships() + ",edges-Author-WRITES-Paper.csv.gz\n",
                StandardCharsets.UTF_8);
        Files.writeString(directory.resolve("labels.txt"), "0,alpha\n1,beta\n2,gamma\n", StandardCharsets.UTF_8);
        return directory;
    }

    private static void gzip(Path file, String text) throws IOException {
        try (Writer out = new java.io.OutputStreamWriter(new GZIPOutputStream(Files.newOutputStream(file)),
                StandardCharsets.UTF_8)) {
            out.write(text);
        }
    }
}
