"""`devenv profile import`: three production conf sets give their exact expected profiles; untrusted input is read safely."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from devenv.errors import DevenvError
from devenv.importer import confread, rules, scale, versions

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
SETS = ("bank-etl", "retail-hive", "ads-spark")
SECRET_VALUES = ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYBANKSECRET", "AKIAEXAMPLEBANK0001", "Retail-Hive-2024!",
                 "9s8d7f6g5h4j3k2l1ADSSECRET", "AKIAADSPLATFORM00042")


def _versions_file(name: str) -> Path:
    return next((FIXTURES / name).glob("versions.*"))


@pytest.mark.parametrize("name", SETS)
def test_each_production_set_gives_its_exact_expected_profile(cli, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out" / "imported.toml"
    r = cli("profile", "import", str(FIXTURES / name / "conf"), "--versions", str(_versions_file(name)), "-o", str(out), "--name", name)
    assert r.code == 0, r.err
    assert out.read_bytes() == (FIXTURES / name / "expected.toml").read_bytes()
    assert not any(s in out.read_text() + r.out + r.err for s in SECRET_VALUES)
    assert cli("profile", "validate", str(out)).code == 0


def test_the_import_says_what_it_did_and_names_secrets_by_key_only(cli, tmp_path: Path) -> None:
    out = tmp_path / "bank.toml"
    r = cli("profile", "import", str(FIXTURES / "bank-etl" / "conf"), "-o", str(out))
    assert r.code == 0, r.err
    assert f"wrote {out} (extends default; " in r.out
    assert "scale factor 0.020833" in r.out
    assert "secrets found and not copied: fs.s3a.access.key (core-site.xml:67), fs.s3a.secret.key (core-site.xml:71)" in " ".join(r.err.split())
    assert "# no versions given (--versions): default's pins apply" in out.read_text()


def test_import_json_summary(cli, tmp_path: Path) -> None:
    r = cli("--json", "profile", "import", str(FIXTURES / "ads-spark" / "conf"), "--versions",
            str(_versions_file("ads-spark")), "-o", str(tmp_path / "ads.toml"))
    data = json.loads(r.out)
    assert data["versions"] == {"hadoop": "3.4.1", "hive": "4.0.1", "spark": "4.0.1"}
    assert data["secrets"] == ["spark-defaults.conf:41 spark.hadoop.fs.s3a.access.key", "spark-defaults.conf:42 spark.hadoop.fs.s3a.secret.key"]
    assert data["dropped"]["shuffle"] == 5
    assert data["factor"] == 0.007812


def test_profile_diff_against_default_shows_what_production_changes(cli, tmp_path: Path) -> None:
    out = tmp_path / "ads.toml"
    shutil.copy(FIXTURES / "ads-spark" / "expected.toml", out)
    r = cli("--json", "profile", "diff", "default", str(out))
    assert r.code == 0, r.err
    changes = {c["key"]: (c["a"], c["b"]) for c in json.loads(r.out)["changes"]}
    assert changes["versions.spark"] == ("4.1.1", "4.0.1")
    assert changes['config.yarn-site."yarn.scheduler.maximum-allocation-mb"'] == (2048, 1024)
    assert changes['config.spark-defaults."spark.dynamicAllocation.shuffleTracking.enabled"'] == (None, True)
    assert changes["production.factor"] == (None, 0.007812)


def test_an_existing_file_is_not_overwritten_without_force(cli, tmp_path: Path) -> None:
    out = tmp_path / "bank.toml"
    out.write_text("keep me")
    r = cli("profile", "import", str(FIXTURES / "bank-etl" / "conf"), "-o", str(out))
    assert r.code == 1 and "already exists; nothing was written" in r.err
    assert out.read_text() == "keep me"


def _conf(tmp_path: Path, name: str, text: str) -> Path:
    d = tmp_path / "conf"
    d.mkdir(exist_ok=True)
    (d / name).write_text(text)
    return d


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<configuration><property><name>x</name><value>&lol2;</value></property></configuration>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE c [<!ENTITY pw SYSTEM "file:///etc/passwd">]>
<configuration><property><name>x</name><value>&pw;</value></property></configuration>
"""
XINCLUDE = """<?xml version="1.0"?>
<configuration xmlns:xi="http://www.w3.org/2001/XInclude">
  <xi:include href="/etc/hadoop/secrets.xml"/>
</configuration>
"""


@pytest.mark.parametrize("text, message", [
    (LAUGHS, "core-site.xml:2: (file): a DTD (<!DOCTYPE>) is refused: it could declare entities"),
    (EXTERNAL, "core-site.xml:2: (file): a DTD (<!DOCTYPE>) is refused: it could declare entities"),
    (XINCLUDE, "core-site.xml:3: (file): XInclude is not followed (it reads other files)"),
    ("<configuration><property><name>a</name><value>&undeclared;</value></property></configuration>",
     "core-site.xml:1: (file): not well-formed XML: undefined entity (column 47)"),
    ("<configuration>\n<property><value>1</value></property>\n</configuration>", "core-site.xml:2: (property): has no <name>"),
])
def test_hostile_or_broken_xml_is_refused_with_its_location(cli, tmp_path: Path, text: str, message: str) -> None:
    conf = _conf(tmp_path, "core-site.xml", text)
    r = cli("profile", "import", str(conf), "-o", str(tmp_path / "p.toml"))
    assert r.code == 1
    assert message in r.err
    assert not (tmp_path / "p.toml").exists()


def test_a_symlink_out_of_the_conf_dir_is_refused(cli, tmp_path: Path) -> None:
    outside = tmp_path / "secret.xml"
    outside.write_text("<configuration/>")
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "hdfs-site.xml").symlink_to(outside)
    r = cli("profile", "import", str(conf), "-o", str(tmp_path / "p.toml"))
    assert r.code == 1
    assert "hdfs-site.xml: refused: it leads outside" in r.err


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "yarn-site.xml", "<configuration>" + " " * (confread.MAX_BYTES + 1) + "</configuration>")
    with pytest.raises(DevenvError, match="larger than 2 MB"):
        confread.read_dir(conf)


def test_values_keep_their_spaces_and_last_repeat_wins(tmp_path: Path) -> None:
    props, problems = confread.parse_xml(
        b"<configuration><property><name> q.acl </name><value> analysts</value></property></configuration>", "capacity-scheduler", "c.xml")
    assert problems == [] and props == [confread.Prop("capacity-scheduler", "q.acl", " analysts", "c.xml:1")]
    spark = confread.parse_spark_conf("# c\nspark.a   1\nspark.b=two words\n\n")
    assert [(p.name, p.value, p.where) for p in spark] == [("spark.a", "1", "spark-defaults.conf:2"), ("spark.b", "two words", "spark-defaults.conf:3")]


@pytest.mark.parametrize("file, key, action, group", [
    ("hive-site", "javax.jdo.option.ConnectionPassword", rules.SECRET, "secrets"),
    ("core-site", "fs.s3a.secret.key", rules.SECRET, "secrets"),
    ("hdfs-site", "dfs.block.access.token.enable", rules.DROP, "security"),
    ("hdfs-site", "dfs.namenode.rpc-address.prod.nn1", rules.DROP, "ha"),
    ("hdfs-site", "dfs.journalnode.edits.dir", rules.DROP, "ha"),
    ("hive-site", "hive.llap.daemon.num.executors", rules.DROP, "services"),
    ("yarn-site", "yarn.nodemanager.aux-services.spark_shuffle.class", rules.DROP, "shuffle"),
    ("mapred-site", "mapreduce.map.memory.mb", rules.SCALE, "container-mb"),
    ("spark-defaults", "spark.executor.memory", rules.SCALE, "jvm-size"),
    ("core-site", "net.topology.script.file.name", rules.DROP, "paths"),
    ("core-site", "fs.s3a.endpoint", rules.DROP, "addresses"),
    ("capacity-scheduler", "yarn.scheduler.capacity.resource-calculator", rules.DROP, "sizing"),
])
def test_the_rule_table(file: str, key: str, action: str, group: str) -> None:
    rule = rules.classify(file, key)
    assert rule is not None and (rule.action, rule.group) == (action, group)


def test_behaviour_settings_are_kept_and_credentials_in_values_are_spotted() -> None:
    assert rules.classify("hive-site", "hive.exec.dynamic.partition.mode") is None
    assert rules.classify("capacity-scheduler", "yarn.scheduler.capacity.root.etl.acl_submit_applications") is None
    assert rules.is_secret_value("jdbc:postgresql://db/x?user=hive&password=s3cret")
    assert rules.is_secret_value("https://user:pw@proxy.example:3128")
    assert not rules.is_secret_value("org.apache.hadoop.io.compress.SnappyCodec")


def test_scaling_keeps_what_runs_and_says_so() -> None:
    b = scale.Budget(2048, 2, 1)
    s = scale.scale("container-mb", "mapreduce.map.memory.mb", "4096", 0.25, b, 2048)
    assert (s.value, s.comment) == (1024, "production 4096 MB x 0.25")
    s = scale.scale("container-mb", "mapreduce.map.memory.mb", "4096", 0.01, b, 2048)
    assert (s.value, s.comment) == (512, "production 4096 MB x 0.01 = 41, kept at 512 so it runs here")
    s = scale.scale("jvm-size", "spark.executor.memory", "16g", 0.05, b, 2048)
    assert (s.value, s.comment) == ("819m", "production 16g x 0.05")
    assert scale.scale("mb", "yarn.scheduler.maximum-allocation-mb", "65536", 0.5, b, 2048).value == 2048
    assert scale.scale("vcores", "spark.executor.cores", "5", 0.5, b, 2048).value == 2
    assert scale.queue_resources("[memory=4096,vcores=8]", {"memory": 0.5, "vcores": 0.25}).value == "[memory=2048,vcores=2]"
    assert scale.queue_resources("40", {"memory": 0.5}) is None


def test_version_outputs_json_and_toml(tmp_path: Path) -> None:
    assert versions.read(FIXTURES / "retail-hive" / "versions.txt") == {
        "hadoop": "3.1.1.7.1.9.0-387", "hive": "3.1.3000.7.1.9.0-387", "spark": "3.3.2.7.1.9.0-387", "scala": "2.12", "java": "8"}
    f = tmp_path / "v.toml"
    f.write_text('[versions]\nhadoop = "3.4.1"\nspark = "4.0.1"\n')
    assert versions.read(f) == {"hadoop": "3.4.1", "spark": "4.0.1"}
    f.write_text("nothing useful")
    with pytest.raises(DevenvError, match="no versions found"):
        versions.read(f)


def test_nearest_version_with_the_reason() -> None:
    assert versions.choose("hadoop", "3.4.2") == versions.Pin("hadoop", "3.4.2", "3.4.2", "")
    pin = versions.choose("hive", "4.1.0")
    assert pin.chosen == "4.0.1" and "Hive 4.1's server artifacts" in pin.comment
    pin = versions.choose("spark", "3.3.2.7.1.9.0-387")
    assert pin.chosen == "3.5.9"
    assert pin.comment == "production runs 3.3.2.7.1.9.0-387 (a vendor build of 3.3.2); devenv supports no 3.3 line; 3.5 is the nearest it does: nearest supported 3.5.9"


def test_a_queue_layout_that_does_not_add_up_is_a_located_error(cli, tmp_path: Path) -> None:
    p = tmp_path / "q.toml"
    p.write_text('schema = 1\nname = "q"\nextends = "default"\n[config.capacity-scheduler]\n'
                 '"yarn.scheduler.capacity.root.queues" = "default,etl"\n"yarn.scheduler.capacity.root.etl.capacity" = 40\n')
    r = cli("profile", "validate", str(p))
    assert r.code == 1
    assert "the capacities of root's queues (default, etl) add up to 140, not 100" in " ".join(r.err.split())
