package dev.neogat.nn;

/** A learnable tensor with its gradient and Adam moments, all on one backend (allocated when first needed). */
public final class Parameter {

    private final Backend backend;
    private final String name;
    private final Tensor value;
    private Tensor gradient;
    private Tensor firstMoment;
    private Tensor secondMoment;

    public Parameter(Backend backend, String name, DenseMatrix initial) {
        this.backend = backend;
        this.name = name;
        this.value = backend.upload(initial.data(), initial.rows(), initial.cols());
    }

    public String name() {
        return name;
    }

    public Tensor value() {
        return value;
    }

    public Tensor gradient() {
        if (gradient == null) {
            gradient = backend.zeros(value.rows(), value.cols());
        }
        return gradient;
    }

    /** One Adam step with the current gradient. */
    public void adamStep(AdamSettings settings, int step) {
        if (firstMoment == null) {
            firstMoment = backend.zeros(value.rows(), value.cols());
            secondMoment = backend.zeros(value.rows(), value.cols());
        }
        backend.adamStep(value, gradient(), firstMoment, secondMoment, settings, step);
    }

    public DenseMatrix download() {
        float[] values = new float[value.rows() * value.cols()];
        backend.download(value, values);
        return new DenseMatrix(value.rows(), value.cols(), values);
    }

    void release() {
        for (Tensor t : new Tensor[]{value, gradient, firstMoment, secondMoment}) {
            if (t != null) {
                backend.release(t);
            }
        }
    }
}
