package dev.neogat.train;

/** Why training ended. */
public enum StopReason {
    /** All configured epochs ran. */
    MAX_EPOCHS,
    /** The validation set stopped improving for {@code patience} epochs. */
    EARLY_STOPPING
}
