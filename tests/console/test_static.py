"""Django's admin and django-rq's pages come with their stylesheets: the console serves
its apps' static files itself (whitenoise), under daphne as under any server."""

import re

import pytest

from console.roles import Role


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/admin/", "/django-rq/"])
def test_admin_pages_get_their_stylesheets(client, make_user, minicluster, page):
    client.force_login(make_user("ada", Role.ADMINISTRATOR))
    html = client.get(page, follow=True).content.decode()
    sheets = re.findall(r'<link[^>]+href="(/static/[^"]+\.css)"', html)
    assert sheets, "the page links no stylesheet"
    for sheet in sheets:
        response = client.get(sheet)
        assert response.status_code == 200, sheet
        assert response["Content-Type"].startswith("text/css")
