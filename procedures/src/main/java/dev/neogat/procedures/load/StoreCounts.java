package dev.neogat.procedures.load;

import org.neo4j.graphdb.Transaction;
import org.neo4j.internal.kernel.api.Read;
import org.neo4j.internal.kernel.api.TokenRead;
import org.neo4j.kernel.api.KernelTransaction;
import org.neo4j.kernel.impl.coreapi.InternalTransaction;
import org.neo4j.token.api.TokenConstants;

import java.util.List;

/**
 * Node and relationship counts of a projection from the store's counts, without reading a node: per projected label
 * (all nodes when none is given) its nodes, and its nodes' outgoing relationships of the projected types (any type
 * when none is given), the other end unchecked. A node with two projected labels counts once per label, as a scan of
 * each label's nodes would count it; a label or type the database has never seen counts nothing.
 */
public record StoreCounts(long nodes, long outgoingRelationships) {

    public static StoreCounts of(Transaction tx, List<String> labels, List<String> types) {
        KernelTransaction ktx = ((InternalTransaction) tx).kernelTransaction();
        TokenRead tokens = ktx.tokenRead();
        Read read = ktx.dataRead();
        // NO_TOKEN (a name never used) and ANY_LABEL / ANY_RELATIONSHIP_TYPE are the same value, so unknown names
        // are dropped before "any" stands in for an empty list.
        int[] labelIds = labels.isEmpty() ? new int[] {TokenConstants.ANY_LABEL}
                : labels.stream().mapToInt(tokens::nodeLabel).filter(id -> id != TokenConstants.NO_TOKEN).toArray();
        int[] typeIds = types.isEmpty() ? new int[] {TokenConstants.ANY_RELATIONSHIP_TYPE}
                : types.stream().mapToInt(tokens::relationshipType).filter(id -> id != TokenConstants.NO_TOKEN)
                        .toArray();
        long nodes = 0;
        long relationships = 0;
        for (int label : labelIds) {
            nodes += read.countsForNode(label);
            for (int type : typeIds) {
                relationships += read.countsForRelationship(label, type, TokenConstants.ANY_LABEL);
            }
        }
        return new StoreCounts(nodes, relationships);
    }
}
