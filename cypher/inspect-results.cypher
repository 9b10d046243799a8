// What the model predicted and where it looked, from the properties gat.train wrote
// (predictedSubject, attention, attentionReverse, selfAttention). Each statement is a separate report.

// Accuracy per subject on the test papers.
MATCH (p:Paper {split: 'test'})
RETURN p.subject AS subject, count(*) AS papers,
       round(100.0 * sum(CASE WHEN p.predictedSubject = p.subject THEN 1 ELSE 0 END) / count(*), 1) AS accuracy
ORDER BY subject;

// Confusion matrix on the test papers: how often each true subject was predicted as each subject.
MATCH (p:Paper {split: 'test'})
RETURN p.subject AS actual, p.predictedSubject AS predicted, count(*) AS papers
ORDER BY actual, predicted;

// The citations that mattered most: among papers with at least 4 neighbours (where attention spread evenly
// would give each at most 1/5), the highest attention to one neighbour, and how many times uniform it is.
MATCH (citing:Paper)-[c:CITES]->(cited:Paper)
WITH citing, c, cited, COUNT { (cited)-[:CITES]-() } AS neighbours
WHERE neighbours >= 4
RETURN cited.paperId AS paper, citing.paperId AS attendsTo, c.attention AS attention, neighbours,
       round(c.attention * (neighbours + 1), 1) AS timesUniform
ORDER BY attention DESC LIMIT 10;

// The most attended neighbours of one paper ($paperId), in both citation directions.
MATCH (p:Paper {paperId: $paperId})-[c:CITES]-(other:Paper)
RETURN other.paperId AS neighbour, other.subject AS subject,
       CASE WHEN startNode(c) = p THEN c.attentionReverse ELSE c.attention END AS attention
ORDER BY attention DESC LIMIT 5;

// Papers whose attention is least uniform: the largest share kept for themselves.
MATCH (p:Paper)
RETURN p.paperId AS paper, p.subject AS subject, p.selfAttention AS selfAttention
ORDER BY selfAttention DESC LIMIT 5;
