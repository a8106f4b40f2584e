import UsherCore
