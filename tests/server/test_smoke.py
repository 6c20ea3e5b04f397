def test_login_and_bank_page(client, login):
    login("teacher1")
    response = client.get("/bank/items")
    assert response.status_code == 200


def test_token_api(client, users):
    response = client.post("/api/v1/auth/token", json={"username": "teacher1", "password": "correct horse battery"})
    assert response.status_code == 201
    token = response.get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.get_json()["username"] == "teacher1"
