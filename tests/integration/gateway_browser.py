"""Issue 14: every web UI link works from the host browser, through the gateway.

Headless Debian Chromium, driven by selenium through Debian's chromedriver (its
path given: Selenium Manager never runs, nothing is downloaded). The tests run on
test_lifecycle.py's ci-default cluster, after its MapReduce, Spark and Hive tests
(it imports them there), so the finished applications and queries they ran are
what the UIs list. Screenshots go to DEVENV_TEST_HOME/artifacts/gateway/.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from integration.conftest import REPO, devenv, integration_home

NAME = "ci-default"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
# Chromium as root in a closed network (the machine notes' flags): no sandbox, no background connections.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000")
# the container host names and internal ports no link may point at
INTERNAL = ("namenode", "datanode-1", "resourcemanager", "nodemanager-1", "historyserver", "spark-history", "hiveserver2")
WAIT = 90  # seconds any one page or application may take to show up


def artifacts() -> Path:
    d = integration_home() / "artifacts" / "gateway"
    d.mkdir(parents=True, exist_ok=True)
    return d


def gateway_url() -> str:
    st = devenv("--json", "status", "--name", NAME).json()
    gw = next(s for s in st["services"] if s["service"] == "gateway")
    return gw["endpoints"][0]["url"]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail("Debian's chromium and chromium-driver are needed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    root = tmp_path_factory.mktemp("chromium")
    downloads, se_cache = root / "downloads", root / "selenium-cache"
    downloads.mkdir()
    os.environ["SE_CACHE_PATH"] = str(se_cache)  # where Selenium Manager would put a downloaded driver or browser
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for f in (*FLAGS, f"--user-data-dir={root / 'profile'}"):
        opts.add_argument(f)
    opts.add_experimental_option("prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.set_page_load_timeout(WAIT)
    driver.downloads = downloads
    yield driver
    driver.quit()
    assert not se_cache.exists(), "Selenium Manager ran (it downloads drivers and browsers)"


def until(what: str, check, timeout: float = WAIT, every: float = 1.0):
    """Poll `check` until it returns something truthy; fail with `what` after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(every)


def text(driver) -> str:
    return driver.find_element("tag name", "body").text


def shot(driver, name: str) -> None:
    driver.save_screenshot(str(artifacts() / f"{name}.png"))


def links_stay_on_the_gateway(driver, gw: str) -> None:
    """No link of the page points at a container host name or a port other than the gateway's."""
    gw_netloc = urllib.parse.urlsplit(gw).netloc
    hrefs = [a.get_attribute("href") or "" for a in driver.find_elements("tag name", "a")]
    bad = [h for h in hrefs if h.startswith("http") and urllib.parse.urlsplit(h).hostname in (*INTERNAL, "localhost", "127.0.0.1")
           and urllib.parse.urlsplit(h).netloc != gw_netloc]
    assert not bad, f"{driver.current_url}: links that leave the gateway: {bad[:10]}"


def click_link(driver, partial: str) -> None:
    el = until(f"a link with {partial!r} on {driver.current_url}",
               lambda: next(iter(driver.find_elements("partial link text", partial)), None))
    driver.execute_script("arguments[0].click();", el)


def rm_apps(gw: str, **query: str) -> list[dict]:
    url = f"{gw}/yarn/ws/v1/cluster/apps?{urllib.parse.urlencode(query)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return (json.load(r).get("apps") or {}).get("app") or []


@pytest.mark.browser
def test_namenode_browse_and_download_through_the_gateway(cluster, browser) -> None:
    gw = gateway_url()
    data = os.urandom(200_000)  # binary, several packets: compared byte for byte
    devenv("exec", "namenode", "--name", NAME, "--", "bash", "-c",
           f"hdfs dfs -mkdir -p /user/hadoop/gateway && echo {base64.b64encode(data).decode()} | base64 -d "
           "| hdfs dfs -put -f - /user/hadoop/gateway/bytes.bin")
    browser.get(f"{gw}/namenode/explorer.html#/user/hadoop")
    click_link(browser, "gateway")
    click_link(browser, "bytes.bin")
    link = until("the file's download link", lambda: next(iter(browser.find_elements("id", "file-info-download")), None))
    until("the download link to be filled in", lambda: link.get_attribute("href"))
    shot(browser, "namenode-browse")
    links_stay_on_the_gateway(browser, gw)
    browser.execute_script("arguments[0].click();", link)
    got = until("the downloaded file", lambda: next((p for p in browser.downloads.glob("bytes.bin") if p.stat().st_size == len(data)), None))
    assert got.read_bytes() == data


@pytest.mark.browser
def test_yarn_shows_a_finished_mapreduce_apps_container_logs(cluster, browser) -> None:
    gw = gateway_url()
    app = max((a for a in rm_apps(gw, applicationTypes="MAPREDUCE", states="FINISHED") if a["name"] == "QuasiMonteCarlo"),
              key=lambda a: a["startedTime"])
    browser.get(f"{gw}/yarn/cluster/apps/FINISHED")
    click_link(browser, app["id"])
    until("the application page", lambda: "Application Overview" in text(browser))
    shot(browser, "yarn-mapreduce-app")
    links_stay_on_the_gateway(browser, gw)
    click_link(browser, "Logs")  # the ApplicationMaster's container: NodeManager -> aggregated logs on the history server
    # the ApplicationMaster's syslog: "Created MRAppMaster for application appattempt_<id>_000001"
    until("the container's log", lambda: "Created MRAppMaster for application" in text(browser))
    assert app["id"].replace("application_", "appattempt_") in text(browser)
    shot(browser, "yarn-container-logs")
    links_stay_on_the_gateway(browser, gw)


JOB = textwrap.dedent("""
    import subprocess
    import time
    from pyspark.sql import SparkSession
    spark = SparkSession.builder.appName("gateway-running").getOrCreate()
    print("sum", spark.sparkContext.parallelize(range(100), 2).sum(), flush=True)
    for _ in range(600):  # until the test says stop (a file in HDFS), at most 5 minutes
        if subprocess.run(["hdfs", "dfs", "-test", "-e", "/tmp/gateway-stop"]).returncode == 0:
            break
        time.sleep(0.5)
    spark.stop()
""")


@pytest.mark.browser
def test_a_running_spark_app_through_yarns_proxy_then_in_the_history(cluster, browser) -> None:
    gw = gateway_url()
    devenv("exec", "spark-history", "--name", NAME, "--", "hdfs", "dfs", "-rm", "-f", "/tmp/gateway-stop")
    e = {**os.environ, "NO_COLOR": "1", "CI": "true", "DEVENV_TRUST": "1"}
    job = subprocess.Popen([sys.executable, "-m", "devenv", "exec", "spark-history", "--name", NAME, "--", "bash", "-c",
                            f"cat > /tmp/gateway-job.py <<'EOF'\n{JOB}\nEOF\nspark-submit /tmp/gateway-job.py 2>&1"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=e, cwd=REPO)
    try:
        app = until("the running Spark application in YARN", lambda: next(
            (a for a in rm_apps(gw, applicationTypes="SPARK", states="RUNNING") if a["name"] == "gateway-running"), None), timeout=180)
        browser.get(f"{gw}/yarn/cluster/app/{app['id']}")
        click_link(browser, "ApplicationMaster")  # YARN's proxy to the driver's UI
        until("the Spark UI's jobs page", lambda: "Spark Jobs" in text(browser))
        assert f"/yarn/proxy/{app['id']}/" in browser.current_url
        links_stay_on_the_gateway(browser, gw)
        shot(browser, "spark-ui-through-yarn-proxy")
        click_link(browser, "Executors")  # a page its scripts fill from the REST API
        until("the executors table", lambda: "driver" in text(browser))
        shot(browser, "spark-ui-executors")
        # the driver's own port (pyspark's banner link) redirects to YARN's proxy: followed through the gateway
        browser.get(f"{gw}/spark-ui/")
        until("the redirect to YARN's proxy", lambda: f"/yarn/proxy/{app['id']}/" in browser.current_url)
    finally:
        devenv("exec", "spark-history", "--name", NAME, "--", "hdfs", "dfs", "-touchz", "/tmp/gateway-stop", check=False)
        out = job.communicate(timeout=300)[0]
    assert job.returncode == 0 and "sum 4950" in out, out[-3000:]

    def listed() -> bool:
        browser.get(f"{gw}/spark-history/")
        return app["id"] in text(browser)

    until("the application in the Spark history server", listed, every=3)
    shot(browser, "spark-history")
    links_stay_on_the_gateway(browser, gw)
    click_link(browser, app["id"])
    until("the finished application's jobs", lambda: "Completed Jobs" in text(browser))
    assert "/spark-history/history/" in browser.current_url
    shot(browser, "spark-history-app")


@pytest.mark.browser
def test_hiveserver2_ui_lists_a_finished_query(cluster, browser) -> None:
    gw = gateway_url()
    browser.get(f"{gw}/hiveserver2/")
    until("HiveServer2's page", lambda: "Closed Queries" in text(browser))
    assert "SELECT count(*) AS n FROM people" in text(browser)
    shot(browser, "hiveserver2")
    links_stay_on_the_gateway(browser, gw)
    click_link(browser, "Drilldown")
    until("the query's page", lambda: "SELECT count(*)" in text(browser) or "Query Information" in text(browser))
    shot(browser, "hiveserver2-query")

