package dev.neogat.procedures;

import dev.neogat.analysis.Explanation;
import dev.neogat.procedures.facade.ExplainFacade;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** {@code gat.explain.stream} and {@code gat.explain.write}. */
public class ExplainProcedures extends ProcedureBase {

    /**
     * One row of an explanation, by {@code kind}: 'prediction' (the summary: node, predictedClass,
     * probability, runner-up), 'node' (a node of the neighbourhood with its flow, occlusion and top
     * features) or 'relationship' (a relationship with its flow per layer and in total, and its occlusion).
     * Fields that do not apply to a kind are null.
     */
    public static final class ExplanationRow {
        public String kind;
        public Long rank;
        public Node node;
        public Relationship relationship;
        public Object predictedClass;
        public Double probability;
        public Object runnerUpClass;
        public Double runnerUpProbability;
        public Long distance;
        public Double flow;
        public List<Double> layerFlow;
        public Double occlusionDelta;
        public Boolean flips;
        public List<Map<String, Object>> topFeatures;
    }

    @Procedure(name = "gat.explain.stream", mode = Mode.READ)
    @Description("Explains a stored model's prediction for one node, computed on its L-hop neighbourhood (L = the "
            + "model's layers): a 'prediction' row (class as stored, probability, runner-up), 'node' rows (attention "
            + "flow reaching the node, change of the predicted class's probability when its relationships are removed, "
            + "top features by gradient x input) and 'relationship' rows (flow per layer and in total, change when it "
            + "alone is removed, whether that flips the prediction), cut to the k most influential. A typed model "
            + "explains nodes of its target label, over every relation (a relationship removed from each relation "
            + "that reads it), with top features for nodes of labels that have features.")
    public Stream<ExplanationRow> stream(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "node", description = "A node of the model's projection, or its id.") Object node,
            @Name(value = "config", defaultValue = "{}", description = "k (default 10), rankBy ('occlusion', the "
                    + "default, or 'flow'), head ('mean', the default, or a head index), topFeatures (default 5), "
                    + "featureNames (a list, or the name of a node property holding the vocabulary; for a typed "
                    + "model a map from label to either), concurrency, and projection overrides as for "
                    + "gat.predict.stream.") Map<String, Object> config) {
        ExplainFacade.ExplainedNode explained = ExplainFacade.stream(context(), modelName, node, config);
        return rows(explained).stream();
    }

    @Procedure(name = "gat.explain.write", mode = Mode.WRITE)
    @Description("Explains a stored model's predictions for a set of nodes (default: every node of its projection; "
            + "for a typed model every node of its target label) "
            + "and writes to each node, as writeProperty, the element ids of its k most influential relationships, "
            + "most influential first.")
    public Stream<ExplainFacade.ExplainWriteResult> write(
            @Name(value = "modelName", description = "A model of the catalog (see gat.model.list()).") String modelName,
            @Name(value = "config", description = "writeProperty (required; not one of the model's inputs), nodes (a "
                    + "list of nodes or ids), k (default 5), rankBy ('occlusion' or 'flow'), head, concurrency, "
                    + "writeBatchSize, and projection overrides as for gat.predict.stream.") Map<String, Object> config) {
        return Stream.of(ExplainFacade.write(context(), modelName, config));
    }

    @SuppressWarnings("deprecation")
    private List<ExplanationRow> rows(ExplainFacade.ExplainedNode explained) {
        Explanation e = explained.explanation();
        List<ExplanationRow> rows = new ArrayList<>();
        ExplanationRow summary = new ExplanationRow();
        summary.kind = "prediction";
        summary.node = node(explained, e.target());
        summary.predictedClass = explained.classValue(e.predictedClass());
        summary.probability = e.probability();
        summary.runnerUpClass = explained.classValue(e.runnerUpClass());
        summary.runnerUpProbability = Double.isNaN(e.runnerUpProbability()) ? null : e.runnerUpProbability();
        rows.add(summary);
        for (Explanation.NodeInfluence n : e.nodes()) {
            ExplanationRow row = new ExplanationRow();
            row.kind = "node";
            row.node = node(explained, n.node());
            Integer rank = n.node() == e.target() ? Integer.valueOf(0) : explained.neighbourRanks().get(n.node());
            row.rank = rank == null ? null : rank.longValue();
            row.distance = (long) n.distance();
            row.flow = n.flow();
            row.occlusionDelta = Double.isNaN(n.occlusionDelta()) ? null : n.occlusionDelta();
            row.flips = n.node() == e.target() ? null : n.flips();
            List<Map<String, Object>> features = new ArrayList<>();
            for (Explanation.FeatureAttribution f : n.topFeatures()) {
                Map<String, Object> feature = new LinkedHashMap<>();
                feature.put("feature", explained.featureName(n.node(), f.feature()));
                feature.put("index", (long) f.feature());
                feature.put("value", f.input());
                feature.put("attribution", f.attribution());
                features.add(feature);
            }
            row.topFeatures = features;
            rows.add(row);
        }
        for (Explanation.RelationshipInfluence r : e.relationships()) {
            ExplanationRow row = new ExplanationRow();
            row.kind = "relationship";
            row.relationship = tx.getRelationshipById(explained.neo4jRelationships().applyAsLong(r.relationship()));
            row.rank = explained.relationshipRanks().get(r.relationship()).longValue();
            row.flow = r.flow();
            List<Double> layerFlow = new ArrayList<>();
            for (double f : r.layerFlow()) {
                layerFlow.add(f);
            }
            row.layerFlow = layerFlow;
            row.occlusionDelta = r.occlusionDelta();
            row.flips = r.flips();
            rows.add(row);
        }
        return rows;
    }

    @SuppressWarnings("deprecation")
    private Node node(ExplainFacade.ExplainedNode explained, int dense) {
        return tx.getNodeById(explained.neo4jNodes().applyAsLong(dense));
    }
}
