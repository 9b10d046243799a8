package dev.neogat.analysis;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Principal component analysis of embeddings for plotting: rows are centred, the covariance matrix's
 * eigenvectors come from EJML's symmetric eigen decomposition, and rows are projected onto the leading
 * {@code k}. Each axis is signed so that its largest coordinate is positive, making plots reproducible.
 */
public final class Pca {

    private Pca() {
    }

    /** {@code rows × width} values (row-major) → {@code rows × k} coordinates (row-major). */
    public static double[] project(float[] values, int rows, int width, int k) {
        if (k < 1 || k > width) {
            throw new IllegalArgumentException("PCA to " + k + " dimensions needs between 1 and " + width);
        }
        double[] mean = new double[width];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < width; j++) {
                mean[j] += values[i * width + j];
            }
        }
        for (int j = 0; j < width; j++) {
            mean[j] /= Math.max(1, rows);
        }
        DMatrixRMaj covariance = new DMatrixRMaj(width, width);
        double[] centred = new double[width];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < width; j++) {
                centred[j] = values[i * width + j] - mean[j];
            }
            for (int a = 0; a < width; a++) {
                for (int b = a; b < width; b++) {
                    covariance.data[a * width + b] += centred[a] * centred[b];
                }
            }
        }
        for (int a = 0; a < width; a++) {
            for (int b = 0; b < a; b++) {
                covariance.data[a * width + b] = covariance.data[b * width + a];
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eigen = DecompositionFactory_DDRM.eig(width, true, true);
        if (!eigen.decompose(covariance)) {
            throw new IllegalStateException("The eigen decomposition of the embeddings' covariance failed");
        }
        Integer[] order = new Integer[width];
        for (int j = 0; j < width; j++) {
            order[j] = j;
        }
        Arrays.sort(order, Comparator.comparingDouble((Integer j) -> eigen.getEigenvalue(j).getReal()).reversed());
        double[][] axes = new double[k][];
        for (int c = 0; c < k; c++) {
            axes[c] = eigen.getEigenVector(order[c]).data.clone();
        }
        double[] projected = new double[rows * k];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < k; c++) {
                double sum = 0;
                for (int j = 0; j < width; j++) {
                    sum += (values[i * width + j] - mean[j]) * axes[c][j];
                }
                projected[i * k + c] = sum;
            }
        }
        for (int c = 0; c < k; c++) {
            int largest = 0;
            for (int i = 1; i < rows; i++) {
                if (Math.abs(projected[i * k + c]) > Math.abs(projected[largest * k + c])) {
                    largest = i;
                }
            }
            if (rows > 0 && projected[largest * k + c] < 0) {
                for (int i = 0; i < rows; i++) {
                    projected[i * k + c] = -projected[i * k + c];
                }
            }
        }
        return projected;
    }
}
