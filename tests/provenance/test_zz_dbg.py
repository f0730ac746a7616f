import urllib.request
from marketplace.provenance.scans import flush_scans, recorder
from tests.factories import make_product

def test_dbg(app, db, live_server):
    product = make_product()
    url = f"{live_server.url}/p/{product.code}"
    with urllib.request.urlopen(url, timeout=30) as r:
        print(r.status)
    rec = recorder(app)
    print("pending", rec.pending, rec.redis_url, rec.background, app.extensions.keys())
    print(flush_scans(app))
