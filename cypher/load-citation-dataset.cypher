// Loads a citation dataset in the CSV layout of shared/datasets (nodes.csv.gz, edges.csv.gz, labels.txt),
// read from Neo4j's import directory (LOAD CSV reads .gz files as they are):
//   (:Paper {paperId, subject, split, features})-[:CITES]->(:Paper)
// subject is the class name from labels.txt (absent for unlabelled papers), split is train, val, test or
// none, and features is the bag-of-words vector as a list of floats.
// Parameter: $featureCount, the vocabulary size (Cora 1433, CiteSeer 3703).

CREATE CONSTRAINT paper_id IF NOT EXISTS FOR (p:Paper) REQUIRE p.paperId IS UNIQUE;

LOAD CSV FROM 'file:///labels.txt' AS line
WITH line WHERE size(line) = 2
WITH toInteger(line[0]) AS index, line[1] AS name ORDER BY index
WITH collect(name) AS subjects
LOAD CSV WITH HEADERS FROM 'file:///nodes.csv.gz' AS row
WITH subjects, row,
     [entry IN split(coalesce(row.features, ''), ' ') WHERE entry <> '' | split(entry, ':')] AS entries
WITH subjects, row, [e IN entries | toInteger(e[0])] AS columns, [e IN entries | toFloat(e[1])] AS values
CREATE (:Paper {
  paperId: toInteger(row.id),
  split: row.split,
  subject: CASE WHEN toInteger(row.label) >= 0 THEN subjects[toInteger(row.label)] END,
  features: [i IN range(0, $featureCount - 1) |
             CASE WHEN i IN columns THEN [k IN range(0, size(columns) - 1) WHERE columns[k] = i | values[k]][0]
             ELSE 0.0 END]
});

LOAD CSV WITH HEADERS FROM 'file:///edges.csv.gz' AS row
MATCH (citing:Paper {paperId: toInteger(row.source)}), (cited:Paper {paperId: toInteger(row.target)})
CREATE (citing)-[:CITES]->(cited);
