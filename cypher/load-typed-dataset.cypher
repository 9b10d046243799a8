// Loads a dataset in the typed CSV layout of shared/datasets (schema.txt, nodes-<Type>.csv.gz,
// edges-<Src>-<REL>-<Dst>.csv.gz, labels.txt; e.g. acm/), read from Neo4j's import directory:
// one label per node type and one relationship type per relation, as schema.txt names them:
//   (:<Type> {nodeId, class, split, features})-[:<REL>]->(:<Type>)
// nodeId is the id within its type, class the class name from labels.txt and split train, val, test or
// none (both only on the target type's nodes), features the type's feature vector as a list of floats
// (feature_columns long). No parameters: everything comes from schema.txt.
// A relation of a million relationships (ACM's PSP) is loaded in one transaction: give the server a heap of
// 2 GB or more for it.

// Rows are found by (type, id) through a temporary label and key, removed by the last statements.
CREATE CONSTRAINT typed_load_key IF NOT EXISTS FOR (n:TypedLoad) REQUIRE n.typedLoadKey IS UNIQUE;

LOAD CSV FROM 'file:///schema.txt' AS line
WITH collect({number: linenumber(), line: line}) AS lines
WITH lines, [l IN lines WHERE l.line[0] = '[nodes]' | l.number][0] AS nodesAt,
     [l IN lines WHERE l.line[0] = '[relations]' | l.number][0] AS relationsAt
UNWIND [l IN lines WHERE l.number > nodesAt + 1 AND l.number < relationsAt AND size(l.line) = 5 | l.line] AS type
CALL {
  LOAD CSV FROM 'file:///labels.txt' AS label
  WITH label WHERE size(label) = 2
  WITH toInteger(label[0]) AS index, label[1] AS name ORDER BY index
  RETURN collect(name) AS classNames
}
CALL {
  WITH type, classNames
  LOAD CSV WITH HEADERS FROM 'file:///' + type[4] AS row
  WITH type, classNames, row,
       [entry IN split(coalesce(row.features, ''), ' ') WHERE entry <> '' | split(entry, ':')] AS entries
  WITH type, classNames, row, [e IN entries | toInteger(e[0])] AS columns, [e IN entries | toFloat(e[1])] AS values
  CREATE (:$(type[0]):TypedLoad {
    typedLoadKey: type[0] + ':' + row.id,
    nodeId: toInteger(row.id),
    split: CASE WHEN type[3] = 'target' THEN coalesce(row.split, 'none') END,
    class: CASE WHEN toInteger(row.label) >= 0 THEN classNames[toInteger(row.label)] END,
    features: [i IN range(0, toInteger(type[2]) - 1) |
               CASE WHEN i IN columns THEN [k IN range(0, size(columns) - 1) WHERE columns[k] = i | values[k]][0]
               ELSE 0.0 END]
  })
}
RETURN count(*) AS nodeTypes;

LOAD CSV FROM 'file:///schema.txt' AS line
WITH collect({number: linenumber(), line: line}) AS lines
WITH lines, [l IN lines WHERE l.line[0] = '[relations]' | l.number][0] AS relationsAt
UNWIND [l IN lines WHERE l.number > relationsAt + 1 AND size(l.line) = 5 | l.line] AS relation
CALL {
  WITH relation
  LOAD CSV WITH HEADERS FROM 'file:///' + relation[4] AS row
  MATCH (source:TypedLoad {typedLoadKey: relation[0] + ':' + row.source})
  MATCH (target:TypedLoad {typedLoadKey: relation[2] + ':' + row.target})
  CREATE (source)-[:$(relation[1])]->(target)
}
RETURN count(*) AS relations;

MATCH (n:TypedLoad)
REMOVE n:TypedLoad, n.typedLoadKey;

DROP CONSTRAINT typed_load_key IF EXISTS;
