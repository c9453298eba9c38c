from kb.retrieval.fusion import reciprocal_rank_fusion


def test_passage_ranked_well_by_both_rankers_comes_first() -> None:
    fused = reciprocal_rank_fusion({"dense": ["a", "b", "c"], "lexical": ["b", "d", "a"]})
    assert [pid for pid, _ in fused][:2] == ["b", "a"]
    assert {pid for pid, _ in fused} == {"a", "b", "c", "d"}


def test_weights_shift_the_order() -> None:
    rankings = {"dense": ["a", "b"], "lexical": ["b", "a"]}
    favour_dense = reciprocal_rank_fusion(rankings, weights={"dense": 2.0, "lexical": 1.0})
    assert favour_dense[0][0] == "a"
