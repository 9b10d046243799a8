package dev.neogat.procedures.facade;

import dev.neogat.model.ModelMetadata;
import dev.neogat.procedures.load.NodeIdMap;
import dev.neogat.procedures.load.TypedLoadedGraph;
import dev.neogat.spec.FeaturelessInput;
import dev.neogat.spec.TypedGatConfig;
import org.neo4j.graphdb.Transaction;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A typed model trained with featurelessNodes 'node' learns one input row per node of each featureless label: the
 * nodes are recorded with the model by element id in training order ({@link ModelMetadata.TrainedNodes}), and a
 * later run finds each current node's trained row from them.
 */
final class TrainedNodeRows {

    private TrainedNodeRows() {
    }

    /** The element ids, in training order, of the nodes of each label with a learned input per node; null if none. */
    static Map<String, ModelMetadata.TrainedNodes> record(Transaction tx, TypedGatConfig config,
                                                          TypedLoadedGraph graph) {
        Map<String, ModelMetadata.TrainedNodes> recorded = new LinkedHashMap<>();
        for (String type : perNodeTypes(config)) {
            NodeIdMap ids = graph.nodes().get(type);
            List<String> elementIds = new ArrayList<>(ids.size());
            for (int i = 0; i < ids.size(); i++) {
                elementIds.add(tx.getNodeById(ids.toNeo4j(i)).getElementId());
            }
            recorded.put(type, ModelMetadata.TrainedNodes.of(elementIds));
        }
        return recorded.isEmpty() ? null : recorded;
    }

    /**
     * For each label with a learned input per node, the trained row of each of the graph's nodes of it; fails naming
     * the first node that was not in training.
     */
    static Map<String, int[]> rows(Transaction tx, String modelName, TypedGatConfig config,
                                   ModelMetadata metadata, TypedLoadedGraph graph) {
        Map<String, int[]> rows = new LinkedHashMap<>();
        for (String type : perNodeTypes(config)) {
            ModelMetadata.TrainedNodes trained = metadata.trainedNodes() == null ? null
                    : metadata.trainedNodes().get(type);
            if (trained == null) {
                throw new IllegalArgumentException("The typed model '" + modelName + "' learned an input per node of "
                        + "the label '" + type + "' but does not record which nodes they were; retrain it");
            }
            Map<String, Integer> rowOf = new HashMap<>(trained.size() * 2);
            List<String> elementIds = trained.elementIds();
            for (int row = 0; row < elementIds.size(); row++) {
                rowOf.put(elementIds.get(row), row);
            }
            NodeIdMap ids = graph.nodes().get(type);
            int[] typeRows = new int[ids.size()];
            for (int i = 0; i < ids.size(); i++) {
                String elementId = tx.getNodeById(ids.toNeo4j(i)).getElementId();
                Integer row = rowOf.get(elementId);
                if (row == null) {
                    throw new IllegalArgumentException("The node " + elementId + " of the label '" + type + "' was "
                            + "not in the training graph of the typed model '" + modelName + "', which was trained "
                            + "with featurelessNodes 'node' and learned an input only for the " + trained.size()
                            + " nodes it was trained on; retrain, or use featurelessNodes 'label' to predict nodes "
                            + "added later");
                }
                typeRows[i] = row;
            }
            rows.put(type, typeRows);
        }
        return rows;
    }

    private static List<String> perNodeTypes(TypedGatConfig config) {
        List<String> types = new ArrayList<>();
        config.featureless().forEach((type, input) -> {
            if (input.mode() == FeaturelessInput.Mode.NODE) {
                types.add(type);
            }
        });
        return types;
    }
}
