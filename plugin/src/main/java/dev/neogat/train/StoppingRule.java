package dev.neogat.train;

/**
 * When early stopping ends training. Both rules keep the same weights: those of the last epoch whose validation
 * score and loss were both at least as good as the best seen so far (the GAT paper's rule); they differ only in
 * when training stops, so a run under the bounded rule is the paper's run cut short where it would no longer
 * change the model it returns, or where it has not changed it for a long time.
 */
public enum StoppingRule {
    /**
     * The GAT paper's: training stops after {@code patience} epochs in which neither the validation score reached
     * its best nor the validation loss its lowest. Under dropout 0.6 the loss can keep creeping to new lows for
     * hundreds of epochs after the kept weights last changed (Coauthor CS: kept weights of epoch 221, all 1000
     * epochs run), so the whole epoch budget is spent for nothing.
     */
    GAT_PAPER,
    /**
     * The paper's rule, and training also stops after {@link #KEPT_WEIGHTS_PATIENCE_FACTOR} × {@code patience}
     * epochs without a change of the kept weights. Not {@code patience} alone: under dropout 0.6 the kept weights
     * of Cora and CiteSeer went unchanged for up to 341 epochs while the loss fell, then changed again (Cora seed
     * 7: epoch 213, then 554), and those late weights are the paper's rule's result.
     */
    GAT_PAPER_BOUNDED;

    public static final StoppingRule DEFAULT = GAT_PAPER_BOUNDED;

    /** How many patiences the kept weights may go unchanged under {@link #GAT_PAPER_BOUNDED}. */
    public static final int KEPT_WEIGHTS_PATIENCE_FACTOR = 4;
}
