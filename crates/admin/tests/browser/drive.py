#!/usr/bin/env python3
"""Drives the admin console in headless Chromium through WebDriver
(chromium-driver + python3-selenium), as an administrator would: log in,
find a deferred message by recipient, open its trace, retry it, run the
troubleshooter for a DANE-mismatch domain, check a domain. Writes a
screenshot of each page into SCREENSHOTS. Exits non-zero, saying which
step failed, when a page does not show what it should.

Environment: CONSOLE (base URL), CONSOLE_USER, PASSWORD, RECIPIENT, MISMATCH
(an address whose MX has a DANE mismatch), CHECK (a domain), SCREENSHOTS.
"""

import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.ui import WebDriverWait

base = os.environ["CONSOLE"].rstrip("/")
shots = os.environ["SCREENSHOTS"]
os.makedirs(shots, exist_ok=True)


def fail(step, driver, why):
    driver.save_screenshot(os.path.join(shots, f"failed-{step}.png"))
    print(f"browser: {step}: {why} (at {driver.current_url})", file=sys.stderr)
    driver.quit()
    sys.exit(1)


def page_text(driver):
    return driver.find_element(By.TAG_NAME, "body").text


def fill(driver, name, value):
    field = driver.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)
    return field


def arrive(driver, step):
    """Waits for the next page's main element; fails the step if none."""
    try:
        wait.until(ready.presence_of_element_located((By.ID, "main")))
    except Exception:
        fail(step, driver, "no page arrived: " + driver.page_source[:2000])


def shot(driver, name):
    driver.save_screenshot(os.path.join(shots, name))


options = webdriver.ChromeOptions()
options.binary_location = "/usr/bin/chromium"
for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
             "--disable-dev-shm-usage", "--window-size=1280,900",
             "--no-proxy-server", "--disable-background-networking"):
    options.add_argument(flag)
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
wait = WebDriverWait(driver, 30)

# Log in.
driver.get(base + "/login")
fill(driver, "user", os.environ["CONSOLE_USER"])
fill(driver, "password", os.environ["PASSWORD"]).submit()
arrive(driver, "login")
if driver.current_url.rstrip("/") != base or "Log out" not in driver.page_source:
    fail("login", driver, "the dashboard did not open after logging in")
driver.set_window_size(1280, 1700)
shot(driver, "dashboard.png")
driver.set_window_size(1280, 900)

# Find the deferred message by its recipient.
driver.get(base + "/trace")
fill(driver, "recipient", os.environ["RECIPIENT"]).submit()
arrive(driver, "trace search")
links = driver.find_elements(By.CSS_SELECTOR, "main a[href^='/message/']")
if not links:
    fail("trace search", driver, "no message found for the recipient")
shot(driver, "trace-search.png")
links[0].click()
arrive(driver, "trace")
text = page_text(driver)
if "deferred" not in text or os.environ["RECIPIENT"] not in text:
    fail("trace", driver, "the message's trace does not show the deferral")
shot(driver, "message.png")

# Retry it.
driver.find_element(By.XPATH, "//button[normalize-space()='Retry now']").click()
arrive(driver, "retry")
shot(driver, "after-retry.png")

# The troubleshooter on a DANE mismatch.
driver.get(base + "/route")
fill(driver, "destination", os.environ["MISMATCH"]).submit()
arrive(driver, "route")
if "4.7.323" not in page_text(driver):
    fail("route", driver, "the troubleshooter does not explain 4.7.323")
shot(driver, "route.png")

# The posture checker.
driver.get(base + "/check")
fill(driver, "domain", os.environ["CHECK"]).submit()
arrive(driver, "check")
if "DANE" not in page_text(driver):
    fail("check", driver, "the checker shows no DANE finding")
shot(driver, "check.png")

# The queue, and the dashboard on a phone's screen.
driver.get(base + "/queue")
shot(driver, "queue.png")
driver.set_window_size(390, 844)
driver.get(base + "/")
shot(driver, "dashboard-phone.png")

driver.quit()
print("browser: login, trace search, trace, retry, route, check: ok")
