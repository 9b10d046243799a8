package dev.neogat.spec;

/**
 * The setters of the keys autoTune searches, which the untyped and the typed model builders share, so that one
 * switch over the searched keys configures either kind of model.
 */
public interface TunableBuilder<B extends TunableBuilder<B>> {

    B featureDropout(double featureDropout);

    B attentionDropout(double attentionDropout);

    B messageDropout(double messageDropout);

    /** The channels of every hidden layer. */
    B hiddenChannels(int channels);

    /** The heads of every hidden layer. */
    B hiddenHeads(int heads);

    B normalizeFeatures(boolean normalizeFeatures);
}
