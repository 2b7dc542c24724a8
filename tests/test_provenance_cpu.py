"""Every result names its CPU precisely enough to tell machine types apart."""
from benchmarks.provenance import cpu_info, cpu_label, provenance


def test_results_record_the_cpu_family_and_its_best_matmul_isa():
    cpu = provenance(0)["cpu"]
    assert cpu == cpu_info() and cpu["cores"] >= 1 and cpu["model"]
    # On Linux /proc/cpuinfo gives the family and flags ("AMD EPYC" is both Zen 1/2 and Zen 4).
    if "family" in cpu:
        assert isinstance(cpu["family"], int) and "isa" in cpu


def test_cpu_label_shows_family_and_isa_and_keeps_older_results_as_they_were():
    new = {"model": "AMD EPYC", "cores": 2, "family": 25, "model_number": 17, "isa": "AVX-512 BF16"}
    assert cpu_label(new) == "AMD EPYC (family 25, AVX-512 BF16)"
    assert cpu_label({"model": "AMD EPYC", "cores": 2, "family": 23, "isa": None}) == "AMD EPYC (family 23)"
    assert cpu_label({"model": "AMD EPYC", "cores": 2}) == "AMD EPYC"
