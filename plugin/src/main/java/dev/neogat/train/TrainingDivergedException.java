package dev.neogat.train;

/** The training loss stopped being a finite number (usually a learning rate too high for the graph). */
public class TrainingDivergedException extends IllegalStateException {

    public TrainingDivergedException(String message) {
        super(message);
    }
}
