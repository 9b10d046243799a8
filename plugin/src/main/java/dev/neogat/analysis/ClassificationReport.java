package dev.neogat.analysis;

import dev.neogat.data.NodeLabels;
import dev.neogat.model.ModelMetadata;
import dev.neogat.train.Prediction;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import java.util.function.IntUnaryOperator;

/**
 * Predictions against labels on a set of nodes: for single-label models the confusion matrix (rows the
 * actual class, columns the predicted one) and per-class precision, recall and F1; for multi-label models
 * the per-class (one-vs-rest) true/false positives and negatives and the same scores.
 */
public final class ClassificationReport {

    private final int classes;
    private final long[][] confusion;
    private final long[] truePositives;
    private final long[] falsePositives;
    private final long[] falseNegatives;
    private final boolean multiLabel;

    private ClassificationReport(int classes, long[][] confusion, long[] truePositives, long[] falsePositives,
                                 long[] falseNegatives, boolean multiLabel) {
        this.classes = classes;
        this.confusion = confusion;
        this.truePositives = truePositives;
        this.falsePositives = falsePositives;
        this.falseNegatives = falseNegatives;
        this.multiLabel = multiLabel;
    }

    public static ClassificationReport of(Prediction prediction, NodeLabels labels, int[] nodes) {
        return of(prediction::predictedClass, prediction::predictedClasses, labels, nodes);
    }

    /** From functions: node → predicted class (single-label), node → predicted classes (multi-label). */
    public static ClassificationReport of(IntUnaryOperator predictedClass, IntFunction<int[]> predictedClasses,
                                          NodeLabels labels, int[] nodes) {
        int classes = labels.classCount();
        long[] tp = new long[classes];
        long[] fp = new long[classes];
        long[] fn = new long[classes];
        if (!labels.isMultiLabel()) {
            long[][] confusion = new long[classes][classes];
            for (int node : nodes) {
                int actual = labels.classOf(node);
                int predicted = predictedClass.applyAsInt(node);
                confusion[actual][predicted]++;
                if (actual == predicted) {
                    tp[actual]++;
                } else {
                    fp[predicted]++;
                    fn[actual]++;
                }
            }
            return new ClassificationReport(classes, confusion, tp, fp, fn, false);
        }
        for (int node : nodes) {
            boolean[] predicted = new boolean[classes];
            for (int c : predictedClasses.apply(node)) {
                predicted[c] = true;
            }
            for (int c = 0; c < classes; c++) {
                boolean actual = labels.isMember(node, c);
                if (predicted[c] && actual) {
                    tp[c]++;
                } else if (predicted[c]) {
                    fp[c]++;
                } else if (actual) {
                    fn[c]++;
                }
            }
        }
        return new ClassificationReport(classes, null, tp, fp, fn, true);
    }

    /** Rows: actual class, columns: predicted class; null for multi-label models. */
    public long[][] confusionMatrix() {
        return confusion;
    }

    public double precision(int c) {
        long predicted = truePositives[c] + falsePositives[c];
        return predicted == 0 ? Double.NaN : (double) truePositives[c] / predicted;
    }

    public double recall(int c) {
        long actual = truePositives[c] + falseNegatives[c];
        return actual == 0 ? Double.NaN : (double) truePositives[c] / actual;
    }

    public double f1(int c) {
        long denominator = 2 * truePositives[c] + falsePositives[c] + falseNegatives[c];
        return denominator == 0 ? Double.NaN : 2.0 * truePositives[c] / denominator;
    }

    /** Nodes that actually belong to class c. */
    public long support(int c) {
        return truePositives[c] + falseNegatives[c];
    }

    /** JSON-compatible form: confusion matrix (single-label) and per-class scores, named by class value. */
    /** As the model's metadata stores it, classes named by {@code classValues}. */
    public ModelMetadata.TestReport toMetadata(List<Object> classValues) {
        List<List<Long>> rows = null;
        if (confusion != null) {
            rows = new ArrayList<>();
            for (long[] row : confusion) {
                rows.add(Arrays.stream(row).boxed().toList());
            }
        }
        List<ModelMetadata.ClassMetrics> perClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            perClass.add(new ModelMetadata.ClassMetrics(classValues.get(c), finiteOrNull(precision(c)),
                    finiteOrNull(recall(c)), finiteOrNull(f1(c)), support(c)));
        }
        return new ModelMetadata.TestReport(rows, perClass, multiLabel);
    }

    private static Double finiteOrNull(double value) {
        return Double.isFinite(value) ? value : null;
    }
}
