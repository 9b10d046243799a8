package dev.neogat.util;

/** Thrown out of a computation whose {@link TerminationFlag} was set. */
public class TerminatedException extends RuntimeException {
    public TerminatedException(String message) {
        super(message);
    }
}
